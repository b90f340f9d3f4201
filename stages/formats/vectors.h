// Dense vector files as FAISS, ann-benchmarks, NumPy, Pyserini and Anserini write them.
//
//   .fvecs / .bvecs / .ivecs  (TEXMEX, FAISS's benchmarks) each record an int32 dimension d, then
//                             d float32 / uint8 / int32 values, little-endian. Every record has
//                             the first record's d.
//   .npy                      NumPy's format, version 1-3: the magic "\x93NUMPY", a header dict
//                             {'descr': '<f4', 'fortran_order': False, 'shape': (n, d)}, then
//                             the values in C order. descr '<f4', '<f2' or '|u1'.
//   .h5 / .hdf5               ann-benchmarks' layout: 2-D datasets "train", "test" (vectors),
//                             "neighbors" (int ids), read through the HDF5 library.
//   .jsonl / .json (+ .gz)    one object per line, Pyserini's and Anserini's dense collections:
//                             {"id"|"docid"|"qid"|"_id": "6" or 160885, "vector": [0.1, ...], ...}
//                             (other keys, "contents" included, are ignored), parsed by simdjson.
//
// Vectors come back as float32 (bvecs' and npy uint8 widened, float16 converted). Row ids are the
// row numbers, except JSON lines, whose ids are the objects' ids. A malformed file is an
// InvalidArgument or DataLoss naming the file and the record ("FILE: record 3: ..."; "FILE:LINE:
// ..." in line formats) and what was expected; no count read from a file is used to allocate
// before it is checked against the file's size. Values that are NaN or infinite (also after the
// conversion to float32) are errors. Thread-safe (no shared state).
#ifndef TRAWL_STAGES_FORMATS_VECTORS_H_
#define TRAWL_STAGES_FORMATS_VECTORS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pipelines/values.h"

namespace trawl {

enum class VectorFormat { kFvecs, kBvecs, kIvecs, kNpy, kHdf5, kJsonLines };

// The format a path's extension names (".fvecs", ".npy", ".h5", ".jsonl.gz", ...).
absl::StatusOr<VectorFormat> VectorFormatFromPath(absl::string_view path);
// "fvecs", "bvecs", "ivecs", "npy", "hdf5", "jsonl".
absl::string_view VectorFormatName(VectorFormat format);

struct VectorReadOptions {
  VectorFormat format = VectorFormat::kFvecs;
  std::string dataset;  // HDF5 only: the dataset to read ("train", "test")
  int64_t limit = 0;    // the first `limit` rows only; 0: all
};

// A file of vectors (the path resolved as a user path). NotFound when it cannot be opened.
absl::StatusOr<DenseMatrix> ReadVectors(absl::string_view path, const VectorReadOptions& options);

// Integer rows (ivecs files, HDF5 "neighbors"): ground-truth neighbour ids. `values` is
// rows x cols, row-major.
struct IntMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> values;
};
// .ivecs, or HDF5 with `dataset` (default "neighbors").
absl::StatusOr<IntMatrix> ReadIntMatrix(absl::string_view path, VectorFormat format,
                                        absl::string_view dataset, int64_t limit);

// The same parsers on bytes in memory (tests, fuzzing); `source` names them in messages.
// `format` is one of the fvecs family, npy or JSON lines (HDF5 needs a file).
absl::StatusOr<DenseMatrix> ParseVectors(absl::string_view bytes, VectorFormat format,
                                         absl::string_view source, int64_t limit);
absl::StatusOr<IntMatrix> ParseIvecs(absl::string_view bytes, absl::string_view source,
                                     int64_t limit);

// HDF5 datasets are checked, before anything is allocated, by this one function (fuzzed on its
// own; the HDF5 library parses the file). `storage_bytes` is what the file holds for the dataset,
// `contiguous` whether it is stored uncompressed in one block.
struct Hdf5DatasetShape {
  int rank = 0;
  int64_t dims[2] = {0, 0};
  bool is_float = false;    // H5T_FLOAT
  bool is_integer = false;  // H5T_INTEGER
  int64_t element_bytes = 0;
  int64_t storage_bytes = 0;
  bool contiguous = true;
};
absl::Status CheckHdf5Shape(const Hdf5DatasetShape& shape, absl::string_view source,
                            absl::string_view dataset);

}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_VECTORS_H_
