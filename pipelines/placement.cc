#include "pipelines/placement.h"

namespace trawl {

const char* RungName(Rung rung) {
  switch (rung) {
    case Rung::kFull:
      return "full";
    case Rung::kReduced:
      return "reduced";
    case Rung::kMinimal:
      return "minimal";
    case Rung::kLossy:
      return "lossy";
    case Rung::kSharded:
      return "sharded";
    case Rung::kCpu:
      return "cpu";
    case Rung::kResident:
      return "resident";
  }
  return "unknown";
}

}  // namespace trawl
