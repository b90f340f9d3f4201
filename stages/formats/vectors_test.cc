#include "stages/formats/vectors.h"

#include <hdf5.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stages/formats/file_testing.h"
#include "stages/formats/line_reader.h"
#include "stages/formats/vectors_testing.h"

namespace trawl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Npy;
using testing::RawBytes;
using testing::Vecs;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

using testing::WriteTestFile;

TEST(VectorFormatTest, FromExtension) {
  EXPECT_EQ(*VectorFormatFromPath("a/base.fvecs"), VectorFormat::kFvecs);
  EXPECT_EQ(*VectorFormatFromPath("sift_base.bvecs"), VectorFormat::kBvecs);
  EXPECT_EQ(*VectorFormatFromPath("gt.ivecs"), VectorFormat::kIvecs);
  EXPECT_EQ(*VectorFormatFromPath("emb.npy"), VectorFormat::kNpy);
  EXPECT_EQ(*VectorFormatFromPath("glove-100-angular.hdf5"), VectorFormat::kHdf5);
  EXPECT_EQ(*VectorFormatFromPath("x.h5"), VectorFormat::kHdf5);
  EXPECT_EQ(*VectorFormatFromPath("docs.jsonl.gz"), VectorFormat::kJsonLines);
  EXPECT_EQ(*VectorFormatFromPath("queries.json"), VectorFormat::kJsonLines);
  EXPECT_EQ(VectorFormatFromPath("base.fvecs.gz").status().message(),
            "'base.fvecs.gz': only JSON lines are read gzip-compressed; gunzip the file");
  EXPECT_THAT(VectorFormatFromPath("vectors.bin").status().message(),
              HasSubstr("cannot tell the vector format of 'vectors.bin'"));
}

TEST(VectorsTest, FvecsRowsAndLimit) {
  const std::string bytes = Vecs<float>({{1, 2, 3}, {4, 5, 6}, {-7, 8.5f, 9}});
  absl::StatusOr<DenseMatrix> m = ParseVectors(bytes, VectorFormat::kFvecs, "a.fvecs", 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 3);
  EXPECT_EQ(m->dim, 3);
  EXPECT_THAT(m->data, ElementsAre(1, 2, 3, 4, 5, 6, -7, 8.5f, 9));
  EXPECT_TRUE(m->ids.empty());  // row numbers

  m = ParseVectors(bytes, VectorFormat::kFvecs, "a.fvecs", 2);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rows, 2);
  EXPECT_THAT(m->data, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(VectorsTest, BvecsWidened) {
  const std::string bytes = Vecs<uint8_t>({{0, 255}, {7, 128}});
  absl::StatusOr<DenseMatrix> m = ParseVectors(bytes, VectorFormat::kBvecs, "a.bvecs", 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->data, ElementsAre(0, 255, 7, 128));
}

TEST(VectorsTest, IvecsIds) {
  absl::StatusOr<IntMatrix> m = ParseIvecs(Vecs<int32_t>({{5, 1, -1}, {2, 0, 9}}), "gt.ivecs", 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 2);
  EXPECT_EQ(m->cols, 3);
  EXPECT_THAT(m->values, ElementsAre(5, 1, -1, 2, 0, 9));
}

TEST(VectorsTest, NpyFloat32Float16Uint8) {
  absl::StatusOr<DenseMatrix> m = ParseVectors(
      Npy("<f4", "(2, 2)", RawBytes<float>({0.5f, -1, 3, 1e-3f})), VectorFormat::kNpy, "a.npy", 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 2);
  EXPECT_THAT(m->data, ElementsAre(0.5f, -1, 3, 1e-3f));

  // float16 bit patterns: 1.0, -2.0, 65504 (largest), 2^-24 (smallest subnormal), 0.333251953125.
  m = ParseVectors(
      Npy("<f2", "(1, 5)", RawBytes<uint16_t>({0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555})),
      VectorFormat::kNpy, "h.npy", 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->data,
              ElementsAre(1.0f, -2.0f, 65504.0f, 5.9604644775390625e-08f, 0.333251953125f));

  m = ParseVectors(Npy("|u1", "(3, 1)", RawBytes<uint8_t>({1, 200, 0})), VectorFormat::kNpy,
                   "u.npy", 2);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 2);
  EXPECT_THAT(m->data, ElementsAre(1, 200));
}

TEST(VectorsTest, JsonLinesIdsAndVectors) {
  const std::string text =
      "{\"docid\": \"6\", \"contents\": \"a b\", \"vector\": [0.25, -1, 3e2]}\n"
      "\n"
      "{\"qid\": 160885, \"vector\": [1, 2, 3]}\r\n"
      "{\"id\": \"naïve-1\", \"vector\": [0, 0, 0.5]}";
  absl::StatusOr<DenseMatrix> m = ParseVectors(text, VectorFormat::kJsonLines, "d.jsonl", 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 3);
  EXPECT_EQ(m->dim, 3);
  EXPECT_THAT(m->data, ElementsAre(0.25f, -1, 300, 1, 2, 3, 0, 0, 0.5f));
  EXPECT_EQ(m->ids.Get(0), "6");
  EXPECT_EQ(m->ids.Get(1), "160885");
  EXPECT_EQ(m->ids.Get(2), "naïve-1");
}

TEST(VectorsTest, FilesPlainAndGzip) {
  const std::string fvecs = TempPath("base.fvecs");
  WriteTestFile(fvecs, Vecs<float>({{1, 2}, {3, 4}}));
  absl::StatusOr<DenseMatrix> m = ReadVectors(fvecs, {VectorFormat::kFvecs, "", 0});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->data, ElementsAre(1, 2, 3, 4));

  const std::string jsonl = TempPath("q.jsonl.gz");
  WriteTestFile(jsonl, "{\"qid\": 1, \"vector\": [1, 2]}\n{\"qid\": 2, \"vector\": [3, 4]}\n");
  m = ReadVectors(jsonl, {VectorFormat::kJsonLines, "", 0});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->data, ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(m->ids.Get(1), "2");

  EXPECT_EQ(ReadVectors(TempPath("missing.fvecs"), {}).status().code(),
            absl::StatusCode::kNotFound);
}

// Writes an ann-benchmarks style file: float "train" and "test", int32 "neighbors".
void WriteAnnBenchmarksFile(const std::string& path) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  auto write = [&](const char* name, hid_t file_type, hid_t memory_type, hsize_t rows, hsize_t cols,
                   const void* data) {
    const hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t set = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(set);
    H5Sclose(space);
  };
  const std::vector<float> train = {1, 2, 3, 4, 5, 6};
  const std::vector<double> test = {0.5, -0.25};
  const std::vector<int32_t> neighbors = {2, 0, 1};
  write("train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, 2, train.data());
  write("test", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, test.data());
  write("neighbors", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, 3, neighbors.data());
  H5Fclose(file);
}

TEST(VectorsTest, Hdf5AnnBenchmarksLayout) {
  const std::string path = TempPath("ann.hdf5");
  WriteAnnBenchmarksFile(path);
  absl::StatusOr<DenseMatrix> train = ReadVectors(path, {VectorFormat::kHdf5, "train", 0});
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->rows, 3);
  EXPECT_THAT(train->data, ElementsAre(1, 2, 3, 4, 5, 6));
  absl::StatusOr<DenseMatrix> limited = ReadVectors(path, {VectorFormat::kHdf5, "train", 2});
  ASSERT_TRUE(limited.ok());
  EXPECT_THAT(limited->data, ElementsAre(1, 2, 3, 4));
  absl::StatusOr<DenseMatrix> test = ReadVectors(path, {VectorFormat::kHdf5, "test", 0});
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_THAT(test->data, ElementsAre(0.5f, -0.25f));
  absl::StatusOr<IntMatrix> neighbors = ReadIntMatrix(path, VectorFormat::kHdf5, "", 0);
  ASSERT_TRUE(neighbors.ok()) << neighbors.status();
  EXPECT_THAT(neighbors->values, ElementsAre(2, 0, 1));

  EXPECT_EQ(ReadVectors(path, {VectorFormat::kHdf5, "learn", 0}).status().message(),
            path + ": expected a dataset \"learn\", found only: neighbors, test, train");
}

TEST(LineReaderTest, LinesBomCrlfAndNumbers) {
  const std::string path = TempPath("lines.txt.gz");
  WriteTestFile(path, "\xEF\xBB\xBFone\r\ntwo\n\nthree");
  absl::StatusOr<LineReader> lines = LineReader::Open(path);
  ASSERT_TRUE(lines.ok()) << lines.status();
  std::vector<std::string> got;
  absl::string_view line;
  while (lines->Next(&line)) got.push_back(absl::StrCat(lines->line_number(), ":", line));
  EXPECT_TRUE(lines->status().ok()) << lines->status();
  EXPECT_THAT(got, ElementsAre("1:one", "2:two", "3:", "4:three"));
}

TEST(LineReaderTest, LinesLongerThanTheReadChunk) {
  const std::string path = TempPath("long.txt");
  const std::string long_line(3 << 20, 'x');
  WriteTestFile(path, long_line + "\nshort\n");
  absl::StatusOr<LineReader> lines = LineReader::Open(path);
  ASSERT_TRUE(lines.ok());
  absl::string_view line;
  ASSERT_TRUE(lines->Next(&line));
  EXPECT_EQ(line.size(), long_line.size());
  ASSERT_TRUE(lines->Next(&line));
  EXPECT_EQ(line, "short");
  EXPECT_FALSE(lines->Next(&line));
}

}  // namespace
}  // namespace trawl
