#include "pipelines/placement.h"

namespace trawl {

const char* RungName(Rung rung) {
  switch (rung) {
    case Rung::kPlanned:
      return "planned";
    case Rung::kReduced:
      return "reduced";
    case Rung::kMinimal:
      return "minimal";
    case Rung::kFloat16:
      return "float16";
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
