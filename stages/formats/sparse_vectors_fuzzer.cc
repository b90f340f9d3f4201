// Fuzz targets for the sparse vector readers (JSON lines and TSV queries), chosen at build time by
// TRAWL_FUZZ_FORMAT, each with and without quantisation.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "stages/formats/sparse_vectors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
#if TRAWL_FUZZ_FORMAT == 1
  const trawl::SparseFormat format = trawl::SparseFormat::kJsonLines;
#elif TRAWL_FUZZ_FORMAT == 2
  const trawl::SparseFormat format = trawl::SparseFormat::kTsvQueries;
#else
#error "define TRAWL_FUZZ_FORMAT"
#endif
  for (double scale : {0.0, 100.0}) {
    trawl::ParseSparseVectors(text, "fuzz", {format, scale}).IgnoreError();
  }
  return 0;
}
