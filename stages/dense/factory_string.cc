#include "stages/dense/factory_string.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <numeric>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "faiss/index_factory.h"
#include "pipelines/status_util.h"

namespace trawl {
namespace {

constexpr int64_t kMaxFactorySize = int64_t{1} << 30;  // FAISS reads sizes with atoi
constexpr int64_t kMaxProbeDim = 1 << 14;

}  // namespace

absl::Status CheckFactoryString(const std::string& factory, faiss::MetricType metric) {
  if (factory.empty()) return absl::InvalidArgumentError("factory is empty");
  // Every number: a list count, a graph degree, a code size, a dimension. None can be 0.
  for (size_t i = 0; i < factory.size();) {
    if (!std::isdigit(static_cast<unsigned char>(factory[i]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < factory.size() && std::isdigit(static_cast<unsigned char>(factory[end]))) ++end;
    size_t start = i;  // the part the number belongs to, for the message ("IVF0")
    while (start > 0 && std::isalpha(static_cast<unsigned char>(factory[start - 1]))) --start;
    const std::string part = factory.substr(start, end - start);
    int64_t value = 0;
    if (end - i > 10 || !absl::SimpleAtoi(factory.substr(i, end - i), &value) || value < 1 ||
        value > kMaxFactorySize) {
      return absl::InvalidArgumentError(
          absl::StrCat("factory \"", factory, "\": '", part, "' has the size ",
                       factory.substr(i, std::min<size_t>(end - i, 20)),
                       "; every size in a factory string must be from 1 to ", kMaxFactorySize));
    }
    i = end;
  }
  // A PQ code of more than 16 bits per sub-vector has 2^bits centroids per sub-quantizer.
  static const std::regex kPqBits("PQ[0-9]+x([0-9]+)");
  for (std::sregex_iterator it(factory.begin(), factory.end(), kPqBits), end; it != end; ++it) {
    if (std::stoll((*it)[1].str()) > 16) {
      return absl::InvalidArgumentError(absl::StrCat("factory \"", factory, "\": '", it->str(),
                                                     "' has more than 16 bits per code"));
    }
  }
  // FAISS parses it for real, on a probe: one IVF list (the list count only sizes allocations)
  // and a dimension every PQ and OPQ code size divides.
  static const std::regex kIvf("(IVF|IMI2x)[0-9]+");
  static const std::regex kPq("(?:PQ|OPQ)([0-9]+)");
  const std::string probe = std::regex_replace(factory, kIvf, "$011");
  int64_t dim = 8;
  for (std::sregex_iterator it(factory.begin(), factory.end(), kPq), end; it != end; ++it) {
    dim = std::lcm(dim, static_cast<int64_t>(std::stoll((*it)[1].str())));
    if (dim > kMaxProbeDim) return absl::OkStatus();  // no dimension to probe with: Run checks it
  }
  // At least every output dimension a transform names ("PCA64", "OPQ16_64"): those may not grow
  // the vectors.
  static const std::regex kOutputDim("(?:PCAW?R?|RR|ITQ|_)([0-9]+)");
  int64_t widest = 0;
  for (std::sregex_iterator it(factory.begin(), factory.end(), kOutputDim), end; it != end; ++it) {
    widest = std::max<int64_t>(widest, std::stoll((*it)[1].str()));
  }
  dim *= (widest + dim - 1) / dim > 1 ? (widest + dim - 1) / dim : 1;
  if (dim > kMaxProbeDim) return absl::OkStatus();
  absl::Status made = StatusFromCall(absl::StrCat("factory \"", factory, "\""), [&] {
    std::unique_ptr<faiss::Index> index(
        faiss::index_factory(static_cast<int>(dim), probe.c_str(), metric));
  });
  if (!made.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        made.message(), probe != factory ? " (checked with the list count set to 1)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace trawl
