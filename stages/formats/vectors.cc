#include "stages/formats/vectors.h"

#include <hdf5.h>
#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "pipelines/files.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"
#include "stages/formats/json_records.h"
#include "stages/formats/line_reader.h"
#include "stages/formats/record_ids.h"

namespace trawl {
namespace {

// Bytes in memory or a file, read front to back: the binary formats parse either the same way, so
// a file is streamed (never held twice) and the fuzzers reach the file path's code.
class BinaryInput {
 public:
  static absl::StatusOr<BinaryInput> OpenFile(const std::string& path) {
    BinaryInput input;
    input.source_ = path;
    // Only a regular file: a FIFO would block, a device never ends, a directory has no size.
    ASSIGN_OR_RETURN(FileDescriptor fd, OpenRegularFile(path, &input.size_));
    input.file_.reset(fdopen(fd.get(), "rb"));
    if (input.file_ == nullptr) {
      return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
    }
    fd.release();  // the FILE owns it now
    std::setvbuf(input.file_.get(), nullptr, _IOFBF, 1 << 20);
    return input;
  }
  static BinaryInput FromBytes(absl::string_view bytes, absl::string_view source) {
    BinaryInput input;
    input.source_ = std::string(source);
    input.bytes_ = bytes;
    input.size_ = static_cast<int64_t>(bytes.size());
    return input;
  }

  int64_t size() const { return size_; }
  int64_t remaining() const { return size_ - position_; }
  const std::string& source() const { return source_; }

  // Exactly `n` bytes into `out`, or false (fewer remain).
  bool Read(void* out, size_t n) {
    if (static_cast<int64_t>(n) > remaining()) return false;
    if (file_ != nullptr) {
      if (std::fread(out, 1, n, file_.get()) != n) return false;
    } else {
      std::memcpy(out, bytes_.data() + position_, n);
    }
    position_ += static_cast<int64_t>(n);
    return true;
  }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::string source_;
  std::unique_ptr<std::FILE, Closer> file_;
  absl::string_view bytes_;
  int64_t size_ = 0;
  int64_t position_ = 0;
};

absl::Status EmptyFileError(absl::string_view source) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": the file is empty"));
}

absl::Status NotFiniteError(absl::string_view where, int64_t component, float value) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": expected finite float32 values, found ",
                                                 std::isnan(value) ? "NaN" : "infinity",
                                                 " at component ", component));
}

// IEEE 754 binary16 to float32 (every half is exact in float).
float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {  // infinity or NaN
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // zero
    bits = sign;
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Element types of the fvecs family and of .npy data.
enum class Element { kFloat32, kFloat16, kUint8, kInt32 };

size_t ElementBytes(Element element) {
  switch (element) {
    case Element::kFloat32:
    case Element::kInt32:
      return 4;
    case Element::kFloat16:
      return 2;
    case Element::kUint8:
      return 1;
  }
  return 4;
}

// Converts `count` raw little-endian elements to `Out` (float or int64); for floats, fails on the
// first value that is not finite.
template <typename Out>
absl::Status Convert(const char* raw, Element element, int64_t count, Out* out,
                     absl::string_view where) {
  for (int64_t j = 0; j < count; ++j) {
    switch (element) {
      case Element::kFloat32: {
        float v;
        std::memcpy(&v, raw + 4 * j, 4);
        out[j] = static_cast<Out>(v);
        if (!std::isfinite(v)) return NotFiniteError(where, j, v);
        break;
      }
      case Element::kFloat16: {
        uint16_t h;
        std::memcpy(&h, raw + 2 * j, 2);
        const float v = HalfToFloat(h);
        if (!std::isfinite(v)) return NotFiniteError(where, j, v);
        out[j] = static_cast<Out>(v);
        break;
      }
      case Element::kUint8:
        out[j] = static_cast<Out>(static_cast<uint8_t>(raw[j]));
        break;
      case Element::kInt32: {
        int32_t v;
        std::memcpy(&v, raw + 4 * j, 4);
        out[j] = static_cast<Out>(v);
        break;
      }
    }
  }
  return absl::OkStatus();
}

// The fvecs family: records of an int32 dimension and that many elements.
template <typename Out>
absl::Status ParseVecsRecords(BinaryInput& in, Element element, int64_t limit, int64_t* rows,
                              int64_t* dim, std::vector<Out>* values) {
  const std::string& source = in.source();
  if (in.size() == 0) return EmptyFileError(source);
  int32_t first_dim = 0;
  if (!in.Read(&first_dim, 4)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": record 0: expected a 4-byte dimension, found ", in.size(), " bytes"));
  }
  const int64_t element_bytes = static_cast<int64_t>(ElementBytes(element));
  if (first_dim <= 0 || first_dim > (in.size() - 4) / element_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": record 0: expected a dimension from 1 to ",
                     (in.size() - 4) / element_bytes, " (the file's size), found ", first_dim));
  }
  const int64_t record_bytes = 4 + first_dim * element_bytes;
  int64_t n = in.size() / record_bytes;  // whole records the file's size allows
  if (limit > 0) n = std::min(n, limit);
  values->resize(static_cast<size_t>(n * first_dim));
  std::string raw(static_cast<size_t>(first_dim * element_bytes), '\0');
  for (int64_t i = 0; i < n; ++i) {
    int32_t d = first_dim;
    if (i > 0 && !in.Read(&d, 4)) break;
    if (d != first_dim) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": record ", i,
                                                     ": expected dimension ", first_dim,
                                                     " (the first record's), found ", d));
    }
    if (!in.Read(&raw[0], raw.size())) break;
    RETURN_IF_ERROR(Convert(raw.data(), element, first_dim, values->data() + i * first_dim,
                            absl::StrCat(source, ": record ", i)));
  }
  if ((limit == 0 || n < limit) && in.remaining() > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": record ", in.size() / record_bytes, ": truncated: expected ",
                     record_bytes, " bytes (dimension ", first_dim, "), found ", in.remaining()));
  }
  *rows = n;
  *dim = first_dim;
  return absl::OkStatus();
}

// ---- .npy ----------------------------------------------------------------------------------

struct NpyHeader {
  Element element = Element::kFloat32;
  int64_t rows = 0;
  int64_t cols = 0;
};

// The header dict, a Python literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class NpyDictParser {
 public:
  explicit NpyDictParser(absl::string_view text) : text_(text) {}

  absl::Status Parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape) {
    bool has_descr = false, has_order = false, has_shape = false;
    if (!Consume('{')) return Error("expected '{'");
    while (!Consume('}')) {
      std::string key;
      if (!QuotedString(&key)) return Error("expected a quoted key");
      if (!Consume(':')) return Error("expected ':'");
      if (key == "descr") {
        if (!QuotedString(descr)) return Error("expected descr as a quoted string");
        has_descr = true;
      } else if (key == "fortran_order") {
        if (Word("True")) {
          *fortran_order = true;
        } else if (Word("False")) {
          *fortran_order = false;
        } else {
          return Error("expected fortran_order True or False");
        }
        has_order = true;
      } else if (key == "shape") {
        if (!Consume('(')) return Error("expected shape as a tuple");
        while (!Consume(')')) {
          SkipSpace();
          size_t digits = 0;
          while (digits < text_.size() && absl::ascii_isdigit(text_[digits])) ++digits;
          int64_t value;
          if (digits == 0 || !absl::SimpleAtoi(text_.substr(0, digits), &value)) {
            return Error("expected a non-negative integer in shape");
          }
          text_.remove_prefix(digits);
          shape->push_back(value);
          if (!Consume(',') && !Peek(')')) return Error("expected ',' or ')' in shape");
        }
        has_shape = true;
      } else {
        return Error(absl::StrCat("unexpected key '", key, "'"));
      }
      if (!Consume(',') && !Peek('}')) return Error("expected ',' or '}'");
    }
    if (!has_descr || !has_order || !has_shape) {
      return Error("expected the keys 'descr', 'fortran_order' and 'shape'");
    }
    return absl::OkStatus();
  }

 private:
  void SkipSpace() {
    while (!text_.empty() && absl::ascii_isspace(text_[0])) text_.remove_prefix(1);
  }
  bool Peek(char c) {
    SkipSpace();
    return !text_.empty() && text_[0] == c;
  }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    text_.remove_prefix(1);
    return true;
  }
  bool Word(absl::string_view word) {
    SkipSpace();
    return absl::ConsumePrefix(&text_, word);
  }
  bool QuotedString(std::string* out) {
    SkipSpace();
    if (text_.empty() || (text_[0] != '\'' && text_[0] != '"')) return false;
    const size_t end = text_.find(text_[0], 1);
    if (end == absl::string_view::npos) return false;
    *out = std::string(text_.substr(1, end - 1));
    text_.remove_prefix(end + 1);
    return true;
  }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ", found \"", absl::CEscape(text_.substr(0, 20)), "\""));
  }

  absl::string_view text_;
};

absl::StatusOr<NpyHeader> ReadNpyHeader(BinaryInput& in) {
  const std::string& source = in.source();
  if (in.size() == 0) return EmptyFileError(source);
  char preamble[10];
  if (!in.Read(preamble, 8) || std::memcmp(preamble, "\x93NUMPY", 6) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected the .npy magic \"\\x93NUMPY\" at the start"));
  }
  const int major = static_cast<uint8_t>(preamble[6]);
  uint32_t header_bytes = 0;
  if (major == 1) {
    uint16_t short_length = 0;
    if (!in.Read(&short_length, 2)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": truncated .npy preamble"));
    }
    header_bytes = short_length;
  } else if (major == 2 || major == 3) {
    if (!in.Read(&header_bytes, 4)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": truncated .npy preamble"));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected .npy format version 1, 2 or 3, found ", major));
  }
  if (static_cast<int64_t>(header_bytes) > in.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": the .npy header needs ", header_bytes,
                                                   " bytes, the file has ", in.remaining()));
  }
  std::string header(header_bytes, '\0');
  in.Read(&header[0], header_bytes);
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  absl::Status parsed = NpyDictParser(header).Parse(&descr, &fortran_order, &shape);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": .npy header: ", parsed.message()));
  }
  NpyHeader result;
  if (descr == "<f4" || (descr == "=f4")) {
    result.element = Element::kFloat32;
  } else if (descr == "<f2" || descr == "=f2") {
    result.element = Element::kFloat16;
  } else if (descr == "|u1" || descr == "<u1" || descr == "=u1") {
    result.element = Element::kUint8;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": expected dtype '<f4' (float32), '<f2' (float16) or '|u1' (uint8), found '",
        absl::CEscape(descr), "'"));
  }
  if (fortran_order) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     ": expected C order, found fortran_order True (save a "
                     "np.ascontiguousarray)"));
  }
  if (shape.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected a 2-D array (rows, dim), found shape (",
                     absl::StrJoin(shape, ", "), ")"));
  }
  result.rows = shape[0];
  result.cols = shape[1];
  if (result.rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": shape (0, ", result.cols, ") holds no vectors; expected at least one row"));
  }
  const int64_t row_bytes_limit = std::max<int64_t>(in.remaining(), 1);
  const int64_t element_bytes = static_cast<int64_t>(ElementBytes(result.element));
  if (result.cols <= 0 || result.cols > row_bytes_limit / element_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": expected a dimension from 1 to ",
                                                   row_bytes_limit / element_bytes,
                                                   " (the file's size), found ", result.cols));
  }
  const int64_t row_bytes = result.cols * element_bytes;
  if (result.rows > in.remaining() / row_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": row ", in.remaining() / row_bytes, ": truncated: shape (", result.rows, ", ",
        result.cols, ") needs ", row_bytes, " bytes per row, the file ends ",
        in.remaining() % row_bytes, " bytes into it"));
  }
  if (result.rows * row_bytes != in.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": expected ", result.rows * row_bytes,
                                                   " bytes of data for shape (", result.rows, ", ",
                                                   result.cols, "), found ", in.remaining()));
  }
  return result;
}

absl::Status ParseNpy(BinaryInput& in, int64_t limit, DenseMatrix* matrix) {
  ASSIGN_OR_RETURN(NpyHeader header, ReadNpyHeader(in));
  const int64_t rows = limit > 0 ? std::min(limit, header.rows) : header.rows;
  matrix->rows = rows;
  matrix->dim = header.cols;
  matrix->data.resize(static_cast<size_t>(rows * header.cols));
  std::string raw(static_cast<size_t>(header.cols) * ElementBytes(header.element), '\0');
  for (int64_t i = 0; i < rows; ++i) {
    in.Read(&raw[0], raw.size());  // sizes checked with the header
    RETURN_IF_ERROR(Convert(raw.data(), header.element, header.cols,
                            matrix->data.data() + i * header.cols,
                            absl::StrCat(in.source(), ": row ", i)));
  }
  return absl::OkStatus();
}

// ---- JSON lines ----------------------------------------------------------------------------

absl::Status ParseJsonLines(LineReader& lines, int64_t limit, DenseMatrix* matrix) {
  simdjson::dom::parser parser;
  RecordIds ids;
  absl::string_view line;
  while ((limit == 0 || ids.size() < limit) && lines.Next(&line)) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::string where = absl::StrCat(lines.source(), ":", lines.line_number());
    ASSIGN_OR_RETURN(JsonRecord record, ParseJsonRecord(parser, line, where));
    const simdjson::dom::object& object = record.object;
    const std::string& id = record.id;
    simdjson::dom::element vector_value;
    if (object.at_key("vector").get(vector_value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected a \"vector\" array of numbers, found no \"vector\" key"));
    }
    simdjson::dom::array vector;
    if (vector_value.get(vector)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"vector\" as an array of numbers"));
    }
    const int64_t size = static_cast<int64_t>(vector.size());
    if (matrix->dim == 0) {
      if (size == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": expected at least one value in \"vector\""));
      }
      matrix->dim = size;
    } else if (size != matrix->dim) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected ", matrix->dim,
                                                     " values (the first vector's), found ", size));
    }
    int64_t j = 0;
    for (simdjson::dom::element component : vector) {
      double value;
      if (component.get(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": expected a number at component ", j, " of \"vector\""));
      }
      const float narrowed = static_cast<float>(value);
      if (!std::isfinite(narrowed)) return NotFiniteError(where, j, narrowed);
      matrix->data.push_back(narrowed);
      ++j;
    }
    RETURN_IF_ERROR(ids.Add(id, lines.line_number(), where));
  }
  RETURN_IF_ERROR(lines.status());
  if (ids.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(lines.source(),
                                                   ": expected JSON lines with "
                                                   "vectors, found none"));
  }
  matrix->rows = ids.size();
  matrix->ids = std::move(ids).Build();
  return absl::OkStatus();
}

// ---- HDF5 ----------------------------------------------------------------------------------

// An hid_t closed by its own H5*close when it goes.
class Hdf5Handle {
 public:
  Hdf5Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  ~Hdf5Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

herr_t CollectName(hid_t, const char* name, const H5L_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->push_back(name);
  return 0;
}

// Reads `dataset` of the HDF5 file at `path` as `memory_type` (H5T_NATIVE_FLOAT or
// H5T_NATIVE_INT64), the first `limit` rows (0: all).
template <typename Out>
absl::Status ReadHdf5(const std::string& path, absl::string_view dataset, int64_t limit,
                      hid_t memory_type, int64_t* rows, int64_t* cols, std::vector<Out>* values) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors come back as statuses, not on stderr
  int64_t size = 0;
  RETURN_IF_ERROR(OpenRegularFile(path, &size).status());  // HDF5 opens it by name next
  if (size == 0) return EmptyFileError(path);
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected an HDF5 file (signature \"\\x89HDF\"), found other bytes"));
  }
  Hdf5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the HDF5 library cannot open it"));
  }
  const std::string name(dataset);
  if (H5Lexists(file.get(), name.c_str(), H5P_DEFAULT) <= 0) {
    std::vector<std::string> names;
    H5Literate(file.get(), H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, CollectName, &names);
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a dataset \"", name,
                                                   "\", found only: ", absl::StrJoin(names, ", ")));
  }
  Hdf5Handle data(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!data.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": \"", name, "\" is not a dataset"));
  }
  Hdf5Handle space(H5Dget_space(data.get()), H5Sclose);
  Hdf5Handle type(H5Dget_type(data.get()), H5Tclose);
  Hdf5Handle plist(H5Dget_create_plist(data.get()), H5Pclose);
  Hdf5DatasetShape shape;
  shape.rank = H5Sget_simple_extent_ndims(space.get());
  if (shape.rank == 2) {
    hsize_t dims[2];
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    for (int i = 0; i < 2; ++i) {
      shape.dims[i] = dims[i] > static_cast<hsize_t>(std::numeric_limits<int64_t>::max())
                          ? -1
                          : static_cast<int64_t>(dims[i]);
    }
  }
  const H5T_class_t type_class = H5Tget_class(type.get());
  shape.is_float = type_class == H5T_FLOAT;
  shape.is_integer = type_class == H5T_INTEGER;
  shape.element_bytes = static_cast<int64_t>(H5Tget_size(type.get()));
  shape.storage_bytes = static_cast<int64_t>(H5Dget_storage_size(data.get()));
  shape.contiguous = H5Pget_layout(plist.get()) == H5D_CONTIGUOUS;
  RETURN_IF_ERROR(CheckHdf5Shape(shape, path, name));
  if (memory_type == H5T_NATIVE_INT64 && !shape.is_integer) {
    // HDF5 would convert floats to integers without a word: ids that are not ids.
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": dataset \"", name,
                     "\": expected integer row numbers (ann-benchmarks' neighbors), found "
                     "floating-point values"));
  }

  *rows = limit > 0 ? std::min(limit, shape.dims[0]) : shape.dims[0];
  *cols = shape.dims[1];
  values->resize(static_cast<size_t>(*rows * *cols));
  const hsize_t start[2] = {0, 0};
  const hsize_t count[2] = {static_cast<hsize_t>(*rows), static_cast<hsize_t>(*cols)};
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  Hdf5Handle memory_space(H5Screate_simple(2, count, nullptr), H5Sclose);
  if (H5Dread(data.get(), memory_type, memory_space.get(), space.get(), H5P_DEFAULT,
              values->data()) < 0) {
    return absl::DataLossError(absl::StrCat(path, ": reading dataset \"", name, "\" failed"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckHdf5Shape(const Hdf5DatasetShape& shape, absl::string_view source,
                            absl::string_view dataset) {
  const std::string where = absl::StrCat(source, ": dataset \"", dataset, "\"");
  if (shape.rank != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a 2-D dataset (rows, dim), found rank ", shape.rank));
  }
  if (!shape.is_float && !shape.is_integer) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected float or integer values, found another type"));
  }
  if (shape.element_bytes != 1 && shape.element_bytes != 2 && shape.element_bytes != 4 &&
      shape.element_bytes != 8) {
    return absl::InvalidArgumentError(absl::StrCat(where,
                                                   ": expected 1-, 2-, 4- or 8-byte values, "
                                                   "found ",
                                                   shape.element_bytes, "-byte values"));
  }
  if (shape.dims[0] <= 0 || shape.dims[1] <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected positive dimensions, found (",
                                                   shape.dims[0], ", ", shape.dims[1], ")"));
  }
  // The values the shape claims must be backed by the file: exactly for contiguous storage, and
  // within a compression ratio of 1000 for chunked storage, before anything is allocated.
  constexpr int64_t kMaxValues = int64_t{1} << 40;
  if (shape.dims[1] > kMaxValues / shape.dims[0]) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": shape (", shape.dims[0], ", ",
                                                   shape.dims[1], ") is beyond 2^40 values"));
  }
  const int64_t bytes = shape.dims[0] * shape.dims[1] * shape.element_bytes;
  if (shape.contiguous ? bytes != shape.storage_bytes : bytes / 1000 > shape.storage_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": shape (", shape.dims[0], ", ", shape.dims[1], ") needs ", bytes,
                     " bytes, the file stores ", shape.storage_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<VectorFormat> VectorFormatFromPath(absl::string_view path) {
  absl::string_view name = path;
  const bool gzip = absl::ConsumeSuffix(&name, ".gz");
  if (gzip && !absl::EndsWith(name, ".jsonl") && !absl::EndsWith(name, ".json")) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "': only JSON lines are read gzip-compressed; gunzip the file"));
  }
  if (absl::EndsWith(name, ".fvecs")) return VectorFormat::kFvecs;
  if (absl::EndsWith(name, ".bvecs")) return VectorFormat::kBvecs;
  if (absl::EndsWith(name, ".ivecs")) return VectorFormat::kIvecs;
  if (absl::EndsWith(name, ".npy")) return VectorFormat::kNpy;
  if (absl::EndsWith(name, ".h5") || absl::EndsWith(name, ".hdf5")) return VectorFormat::kHdf5;
  if (absl::EndsWith(name, ".jsonl") || absl::EndsWith(name, ".json")) {
    return VectorFormat::kJsonLines;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot tell the vector format of '", path,
                   "' from its extension (.fvecs, .bvecs, .ivecs, .npy, .h5, .hdf5, .jsonl, "
                   ".json, .jsonl.gz); set format"));
}

absl::string_view VectorFormatName(VectorFormat format) {
  switch (format) {
    case VectorFormat::kFvecs:
      return "fvecs";
    case VectorFormat::kBvecs:
      return "bvecs";
    case VectorFormat::kIvecs:
      return "ivecs";
    case VectorFormat::kNpy:
      return "npy";
    case VectorFormat::kHdf5:
      return "hdf5";
    case VectorFormat::kJsonLines:
      return "jsonl";
  }
  return "?";
}

namespace {

absl::StatusOr<DenseMatrix> ParseBinaryVectors(BinaryInput& in, VectorFormat format,
                                               int64_t limit) {
  DenseMatrix matrix;
  switch (format) {
    case VectorFormat::kFvecs:
      RETURN_IF_ERROR(
          ParseVecsRecords(in, Element::kFloat32, limit, &matrix.rows, &matrix.dim, &matrix.data));
      return matrix;
    case VectorFormat::kBvecs:
      RETURN_IF_ERROR(
          ParseVecsRecords(in, Element::kUint8, limit, &matrix.rows, &matrix.dim, &matrix.data));
      return matrix;
    case VectorFormat::kIvecs:
      return absl::InvalidArgumentError(absl::StrCat(
          in.source(), ": .ivecs holds integer ids (neighbors_reader reads it), not vectors"));
    case VectorFormat::kNpy:
      RETURN_IF_ERROR(ParseNpy(in, limit, &matrix));
      return matrix;
    default:
      return absl::InternalError("not a binary vector format");
  }
}

}  // namespace

absl::StatusOr<DenseMatrix> ParseVectors(absl::string_view bytes, VectorFormat format,
                                         absl::string_view source, int64_t limit) {
  if (format == VectorFormat::kJsonLines) {
    if (bytes.empty()) return EmptyFileError(source);
    LineReader lines = LineReader::FromText(bytes, source);
    DenseMatrix matrix;
    RETURN_IF_ERROR(ParseJsonLines(lines, limit, &matrix));
    return matrix;
  }
  if (format == VectorFormat::kHdf5) {
    return absl::InvalidArgumentError("HDF5 vectors are read from files");
  }
  BinaryInput in = BinaryInput::FromBytes(bytes, source);
  return ParseBinaryVectors(in, format, limit);
}

absl::StatusOr<IntMatrix> ParseIvecs(absl::string_view bytes, absl::string_view source,
                                     int64_t limit) {
  BinaryInput in = BinaryInput::FromBytes(bytes, source);
  IntMatrix matrix;
  RETURN_IF_ERROR(
      ParseVecsRecords(in, Element::kInt32, limit, &matrix.rows, &matrix.cols, &matrix.values));
  return matrix;
}

absl::StatusOr<DenseMatrix> ReadVectors(absl::string_view path, const VectorReadOptions& options) {
  const std::string resolved = ResolveUserPath(path);
  DenseMatrix matrix;
  if (options.format == VectorFormat::kJsonLines) {
    ASSIGN_OR_RETURN(LineReader lines, LineReader::Open(path));
    RETURN_IF_ERROR(ParseJsonLines(lines, options.limit, &matrix));
    return matrix;
  }
  if (options.format == VectorFormat::kHdf5) {
    const std::string dataset = options.dataset.empty() ? "train" : options.dataset;
    RETURN_IF_ERROR(ReadHdf5(resolved, dataset, options.limit, H5T_NATIVE_FLOAT, &matrix.rows,
                             &matrix.dim, &matrix.data));
    for (int64_t i = 0; i < matrix.rows * matrix.dim; ++i) {
      if (!std::isfinite(matrix.data[i])) {
        return NotFiniteError(
            absl::StrCat(resolved, ": dataset \"", dataset, "\": row ", i / matrix.dim),
            i % matrix.dim, matrix.data[i]);
      }
    }
    return matrix;
  }
  ASSIGN_OR_RETURN(BinaryInput in, BinaryInput::OpenFile(resolved));
  return ParseBinaryVectors(in, options.format, options.limit);
}

absl::StatusOr<IntMatrix> ReadIntMatrix(absl::string_view path, VectorFormat format,
                                        absl::string_view dataset, int64_t limit) {
  const std::string resolved = ResolveUserPath(path);
  IntMatrix matrix;
  if (format == VectorFormat::kHdf5) {
    RETURN_IF_ERROR(ReadHdf5(resolved, dataset.empty() ? "neighbors" : dataset, limit,
                             H5T_NATIVE_INT64, &matrix.rows, &matrix.cols, &matrix.values));
    return matrix;
  }
  if (format != VectorFormat::kIvecs) {
    return absl::InvalidArgumentError(
        absl::StrCat(resolved, ": neighbour ids are read from .ivecs or HDF5 files, not ",
                     VectorFormatName(format)));
  }
  ASSIGN_OR_RETURN(BinaryInput in, BinaryInput::OpenFile(resolved));
  RETURN_IF_ERROR(
      ParseVecsRecords(in, Element::kInt32, limit, &matrix.rows, &matrix.cols, &matrix.values));
  return matrix;
}

}  // namespace trawl
