// Fuzz targets for the vector readers, one per format, chosen at build time by TRAWL_FUZZ_FORMAT:
// fvecs, bvecs, ivecs, npy, JSON lines, and the HDF5 shape check (the HDF5 library parses the
// file; what Trawl decides from a dataset's description is this check). Whatever the bytes, a
// parser returns a value or an error: no crash, hang, or allocation by an unchecked count.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "stages/formats/vectors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
#if TRAWL_FUZZ_FORMAT == 1
  trawl::ParseVectors(bytes, trawl::VectorFormat::kFvecs, "fuzz.fvecs", 0).IgnoreError();
  trawl::ParseVectors(bytes, trawl::VectorFormat::kFvecs, "fuzz.fvecs", 2).IgnoreError();
#elif TRAWL_FUZZ_FORMAT == 2
  trawl::ParseVectors(bytes, trawl::VectorFormat::kBvecs, "fuzz.bvecs", 0).IgnoreError();
#elif TRAWL_FUZZ_FORMAT == 3
  trawl::ParseIvecs(bytes, "fuzz.ivecs", 0).IgnoreError();
#elif TRAWL_FUZZ_FORMAT == 4
  trawl::ParseVectors(bytes, trawl::VectorFormat::kNpy, "fuzz.npy", 0).IgnoreError();
  trawl::ParseVectors(bytes, trawl::VectorFormat::kNpy, "fuzz.npy", 1).IgnoreError();
#elif TRAWL_FUZZ_FORMAT == 5
  trawl::ParseVectors(bytes, trawl::VectorFormat::kJsonLines, "fuzz.jsonl", 0).IgnoreError();
#elif TRAWL_FUZZ_FORMAT == 6
  trawl::Hdf5DatasetShape shape;
  if (size < 48) return 0;
  int64_t fields[6];
  std::memcpy(fields, data, sizeof(fields));
  shape.rank = static_cast<int>(fields[0] & 7);
  shape.dims[0] = fields[1];
  shape.dims[1] = fields[2];
  shape.is_float = (fields[3] & 1) != 0;
  shape.is_integer = (fields[3] & 2) != 0;
  shape.contiguous = (fields[3] & 4) != 0;
  shape.element_bytes = fields[4];
  shape.storage_bytes = fields[5];
  trawl::CheckHdf5Shape(shape, "fuzz.h5", "train").IgnoreError();
#else
#error "define TRAWL_FUZZ_FORMAT"
#endif
  return 0;
}
