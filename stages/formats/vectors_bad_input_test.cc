// Bad input, one table (as trec_bad_input_test.cc for the TREC formats): for each vector reader,
// the inputs that go wrong in practice and what happens to each — read as the same data as a
// clean file, or one exact error naming the file, the record or line, what was expected and what
// was found. Every row is written to a file and read through ReadVectors / ReadIntMatrix, the
// path vector_reader and neighbors_reader take.
#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "stages/formats/file_testing.h"
#include "stages/formats/vectors.h"
#include "stages/formats/vectors_testing.h"

namespace trawl {
namespace {

using testing::Npy;
using testing::RawBytes;
using testing::Vecs;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::string TempDir() { return std::string(std::getenv("TEST_TMPDIR")) + "/"; }

// Writes `bytes` to in.<extension> (gzip-compressed when the extension ends in .gz) and reads it
// back: the values and ids as one string, or "error: <message>" with the directory removed.
std::string ReadAsText(const std::string& extension, const std::string& bytes) {
  const std::string path = TempDir() + "in." + extension;
  testing::WriteTestFile(path, bytes);
  auto error = [](const absl::Status& s) {
    return absl::StrCat("error: ", absl::StrReplaceAll(s.message(), {{TempDir(), ""}}));
  };
  absl::StatusOr<VectorFormat> format = VectorFormatFromPath(path);
  if (!format.ok()) return error(format.status());
  std::string out;
  if (*format == VectorFormat::kIvecs) {
    absl::StatusOr<IntMatrix> m = ReadIntMatrix(path, *format, "", 0);
    if (!m.ok()) return error(m.status());
    for (int64_t v : m->values) absl::StrAppend(&out, v, " ");
    return out;
  }
  absl::StatusOr<DenseMatrix> m = ReadVectors(path, {*format, "", 0});
  if (!m.ok()) return error(m.status());
  for (int64_t i = 0; i < m->rows; ++i) {
    absl::StrAppend(&out, m->ids.empty() ? absl::StrCat(i) : m->ids.Get(i), ":");
    for (int64_t j = 0; j < m->dim; ++j) absl::StrAppend(&out, " ", m->row(i)[j]);
    out += ";";
  }
  return out;
}

struct Row {
  std::string extension;
  std::string what;
  std::string bytes;
  std::string same_as;  // the clean input it must read as, or "" when `error` is expected
  std::string error;
};

std::string Cut(const std::string& bytes, size_t drop) {
  return bytes.substr(0, bytes.size() - drop);
}

std::string Int32(int32_t v) { return RawBytes<int32_t>({v}); }

const std::string kJson =
    "{\"id\": \"d1\", \"vector\": [1, 2]}\n{\"id\": \"d2\", \"vector\": [3, 4]}\n";

std::vector<Row> Table() {
  const std::string fvecs = Vecs<float>({{1, 2}, {3, 4}});
  const std::string f4 = RawBytes<float>({1, 2, 3, 4});
  return {
      // .fvecs (and the family)
      {"fvecs", "empty file", "", "", "in.fvecs: the file is empty"},
      {"fvecs", "shorter than a dimension", "abc", "",
       "in.fvecs: record 0: expected a 4-byte dimension, found 3 bytes"},
      {"fvecs", "truncated last record", Cut(fvecs, 3), "",
       "in.fvecs: record 1: truncated: expected 12 bytes (dimension 2), found 9"},
      {"fvecs", "a record whose dimension differs", Vecs<float>({{1, 2}, {3, 4, 5}}), "",
       "in.fvecs: record 1: expected dimension 2 (the first record's), found 3"},
      {"fvecs", "NaN", Vecs<float>({{1, 2}, {3, kNaN}}), "",
       "in.fvecs: record 1: expected finite float32 values, found NaN at component 1"},
      {"fvecs", "infinity", Vecs<float>({{-kInf, 2}}), "",
       "in.fvecs: record 0: expected finite float32 values, found infinity at component 0"},
      {"fvecs", "negative dimension", Int32(-5) + f4, "",
       "in.fvecs: record 0: expected a dimension from 1 to 4 (the file's size), found -5"},
      {"fvecs", "dimension 2^31-1", Int32(2147483647) + f4, "",
       "in.fvecs: record 0: expected a dimension from 1 to 4 (the file's size), found 2147483647"},
      {"fvecs", "zero dimension", Int32(0) + f4, "",
       "in.fvecs: record 0: expected a dimension from 1 to 4 (the file's size), found 0"},
      {"bvecs", "truncated last record", Cut(Vecs<uint8_t>({{1, 2, 3}, {4, 5, 6}}), 1), "",
       "in.bvecs: record 1: truncated: expected 7 bytes (dimension 3), found 6"},
      {"ivecs", "truncated last record", Cut(Vecs<int32_t>({{1, 2}, {3, 4}}), 4), "",
       "in.ivecs: record 1: truncated: expected 12 bytes (dimension 2), found 8"},
      {"ivecs", "empty file", "", "", "in.ivecs: the file is empty"},
      // .npy
      {"npy", "empty file", "", "", "in.npy: the file is empty"},
      {"npy", "not .npy", "PK\x03\x04 a zip file", "",
       "in.npy: expected the .npy magic \"\\x93NUMPY\" at the start"},
      {"npy", "unsupported dtype float64", Npy("<f8", "(1, 2)", RawBytes<double>({1, 2})), "",
       "in.npy: expected dtype '<f4' (float32), '<f2' (float16) or '|u1' (uint8), found '<f8'"},
      {"npy", "big-endian float32", Npy(">f4", "(1, 1)", Int32(0)), "",
       "in.npy: expected dtype '<f4' (float32), '<f2' (float16) or '|u1' (uint8), found '>f4'"},
      {"npy", "Fortran order", Npy("<f4", "(2, 2)", f4, "True"), "",
       "in.npy: expected C order, found fortran_order True (save a np.ascontiguousarray)"},
      {"npy", "no rows", Npy("<f4", "(0, 4)", ""), "",
       "in.npy: shape (0, 4) holds no vectors; expected at least one row"},
      {"npy", "1-D array", Npy("<f4", "(4,)", f4), "",
       "in.npy: expected a 2-D array (rows, dim), found shape (4)"},
      {"npy", "truncated data", Cut(Npy("<f4", "(2, 2)", f4), 4), "",
       "in.npy: row 1: truncated: shape (2, 2) needs 8 bytes per row, the file ends 4 bytes into "
       "it"},
      {"npy", "2^31+ rows", Npy("<f4", "(3000000000, 2)", f4), "",
       "in.npy: row 2: truncated: shape (3000000000, 2) needs 8 bytes per row, the file ends 0 "
       "bytes into it"},
      {"npy", "2^32 dimension", Npy("<f4", "(1, 4294967296)", f4), "",
       "in.npy: expected a dimension from 1 to 4 (the file's size), found 4294967296"},
      {"npy", "shape beyond int64", Npy("<f4", "(99999999999999999999, 2)", f4), "",
       "in.npy: .npy header: expected a non-negative integer in shape, found "
       "\"99999999999999999999\""},
      {"npy", "trailing bytes", Npy("<f4", "(1, 2)", f4), "",
       "in.npy: expected 8 bytes of data for shape (1, 2), found 16"},
      {"npy", "NaN in float16", Npy("<f2", "(1, 2)", RawBytes<uint16_t>({0x3c00, 0x7e00})), "",
       "in.npy: row 0: expected finite float32 values, found NaN at component 1"},
      {"npy", "header length beyond the file", std::string("\x93NUMPY\x01\x00\xff\xff{", 11), "",
       "in.npy: the .npy header needs 65535 bytes, the file has 1"},
      // JSON lines
      {"jsonl", "empty file", "", "", "in.jsonl: the file is empty"},
      {"jsonl", "CRLF", absl::StrReplaceAll(kJson, {{"\n", "\r\n"}}), kJson, ""},
      {"jsonl", "UTF-8 byte order mark", "\xEF\xBB\xBF" + kJson, kJson, ""},
      {"jsonl", "blank lines", "\n" + kJson + "\n  \n", kJson, ""},
      {"jsonl", "truncated last record", Cut(kJson, 4), "",
       "in.jsonl:2: expected a JSON object, found The JSON document has an improper structure: "
       "missing or superfluous commas, braces, missing keys, etc."},
      {"jsonl", "non-UTF-8 bytes", "{\"id\": \"d\xff\", \"vector\": [1]}\n", "",
       "in.jsonl:1: expected a JSON object, found The input is not valid UTF-8"},
      {"jsonl", "no vector", "{\"id\": \"d1\", \"contents\": \"text\"}\n", "",
       "in.jsonl:1: expected a \"vector\" array of numbers, found no \"vector\" key"},
      {"jsonl", "no id", "{\"vector\": [1]}\n", "",
       "in.jsonl:1: expected an \"id\", \"docid\", \"qid\" or \"_id\" key"},
      {"jsonl", "a vector whose dimension differs",
       "{\"id\": 1, \"vector\": [1, 2]}\n{\"id\": 2, \"vector\": [1]}\n", "",
       "in.jsonl:2: expected 2 values (the first vector's), found 1"},
      {"jsonl", "beyond float32", "{\"id\": 1, \"vector\": [1e39]}\n", "",
       "in.jsonl:1: expected finite float32 values, found infinity at component 0"},
      {"jsonl", "NaN literal", "{\"id\": 1, \"vector\": [NaN]}\n", "",
       "in.jsonl:1: expected a JSON object, found The JSON document has an improper structure: "
       "missing or superfluous commas, braces, missing keys, etc."},
      {"jsonl", "duplicate ids", kJson + "{\"id\": \"d1\", \"vector\": [5, 6]}\n", "",
       "in.jsonl:3: id \"d1\" appears twice (first on line 1)"},
      {"jsonl", "an id with a space", "{\"id\": \"d 1\", \"vector\": [1]}\n", "",
       "in.jsonl:1: id \"d 1\" is empty or holds whitespace; TREC run and qrels files cannot "
       "carry it"},
      {"jsonl", "an empty id", "{\"id\": \"\", \"vector\": [1]}\n", "",
       "in.jsonl:1: id \"\" is empty or holds whitespace; TREC run and qrels files cannot carry "
       "it"},
      {"jsonl", "a string among the values", "{\"id\": 1, \"vector\": [1, \"2\"]}\n", "",
       "in.jsonl:1: expected a number at component 1 of \"vector\""},
      {"jsonl.gz", "gzip, clean", kJson, kJson, ""},
  };
}

TEST(VectorsBadInputTest, EachRowAsDocumented) {
  for (const Row& row : Table()) {
    SCOPED_TRACE(row.extension + ": " + row.what);
    const std::string got = ReadAsText(row.extension, row.bytes);
    if (row.error.empty()) {
      EXPECT_EQ(got, ReadAsText("jsonl", row.same_as));
      EXPECT_EQ(got.rfind("error", 0), std::string::npos) << got;
    } else {
      EXPECT_EQ(got, "error: " + row.error);
    }
  }
}

TEST(VectorsBadInputTest, GzipCutShort) {
  const std::string path = TempDir() + "cut.jsonl.gz";
  std::string text;
  for (int i = 0; i < 2000; ++i) absl::StrAppend(&text, "{\"id\": ", i, ", \"vector\": [1]}\n");
  testing::WriteCutGzip(path, text);
  absl::StatusOr<DenseMatrix> m = ReadVectors(path, {VectorFormat::kJsonLines, "", 0});
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StartsWith(m.status().message(), path + ": the gzip stream is cut short "
                                                            "after line "))
      << m.status();
}

// HDF5: files the HDF5 library writes, and the shape check every dataset passes before anything
// is allocated.
TEST(VectorsBadInputTest, Hdf5) {
  const std::string path = TempDir() + "bad.hdf5";
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims1[1] = {3};
  hid_t space = H5Screate_simple(1, dims1, nullptr);
  hid_t set =
      H5Dcreate2(file, "train", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const float values[3] = {1, kNaN, 3};
  H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(set);
  H5Sclose(space);
  const hsize_t dims2[2] = {1, 3};
  space = H5Screate_simple(2, dims2, nullptr);
  set = H5Dcreate2(file, "test", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(set);
  H5Sclose(space);
  H5Fclose(file);

  EXPECT_EQ(ReadVectors(path, {VectorFormat::kHdf5, "train", 0}).status().message(),
            path + ": dataset \"train\": expected a 2-D dataset (rows, dim), found rank 1");
  EXPECT_EQ(ReadVectors(path, {VectorFormat::kHdf5, "test", 0}).status().message(),
            path +
                ": dataset \"test\": row 0: expected finite float32 values, found NaN at "
                "component 1");
  EXPECT_EQ(ReadVectors(path, {VectorFormat::kHdf5, "neighbors", 0}).status().message(),
            path + ": expected a dataset \"neighbors\", found only: test, train");

  const std::string not_hdf5 = TempDir() + "not.h5";
  std::ofstream(not_hdf5) << "plain text";
  EXPECT_EQ(ReadVectors(not_hdf5, {VectorFormat::kHdf5, "train", 0}).status().message(),
            not_hdf5 + ": expected an HDF5 file (signature \"\\x89HDF\"), found other bytes");
  const std::string empty = TempDir() + "empty.h5";
  std::ofstream(empty).close();
  EXPECT_EQ(ReadVectors(empty, {VectorFormat::kHdf5, "train", 0}).status().message(),
            empty + ": the file is empty");

  Hdf5DatasetShape huge;
  huge.rank = 2;
  huge.dims[0] = int64_t{1} << 31;
  huge.dims[1] = int64_t{1} << 31;
  huge.is_float = true;
  huge.element_bytes = 4;
  huge.storage_bytes = 16;
  EXPECT_EQ(CheckHdf5Shape(huge, "f.h5", "train").message(),
            "f.h5: dataset \"train\": shape (2147483648, 2147483648) is beyond 2^40 values");
  Hdf5DatasetShape short_storage = huge;
  short_storage.dims[0] = 1000;
  short_storage.dims[1] = 100;
  EXPECT_EQ(CheckHdf5Shape(short_storage, "f.h5", "train").message(),
            "f.h5: dataset \"train\": shape (1000, 100) needs 400000 bytes, the file stores 16");
  Hdf5DatasetShape strings = short_storage;
  strings.is_float = false;
  EXPECT_EQ(CheckHdf5Shape(strings, "f.h5", "train").message(),
            "f.h5: dataset \"train\": expected float or integer values, found another type");
}

}  // namespace
}  // namespace trawl
