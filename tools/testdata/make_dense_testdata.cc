// Writes tests/testdata/dense/: one small collection in every format vector_reader reads, with
// exact ground truth computed here in float64 (independently of Trawl's search code):
//
//   base.fvecs base.npy base.jsonl.gz ann.hdf5(train)   500 x 16 float32 corpus
//   query.fvecs query.jsonl ann.hdf5(test)              20 queries
//   gt.ivecs ann.hdf5(neighbors)                        the 10 nearest rows by L2, nearest first
//   base.bvecs query.bvecs gt_bvecs.ivecs               the same in uint8 (0..255)
//   ids in the JSON files: "doc-<row>" and queries 1000 + row
//
//   bazel run //tools/testdata:make_dense_testdata -- "$PWD/tests/testdata/dense"
//
// Deterministic: a fixed xorshift generator, so reruns write the same bytes.
#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stages/formats/vectors_testing.h"

namespace {

constexpr int kRows = 500, kQueries = 20, kDim = 16, kK = 10;

uint64_t state = 0x9E3779B97F4A7C15ull;
float Uniform() {  // in [0, 1), 24 random bits
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<float>(state >> 40) / 16777216.0f;
}

using Rows = std::vector<std::vector<float>>;

Rows Generate(int n, bool bytes) {
  Rows rows(n, std::vector<float>(kDim));
  for (auto& row : rows) {
    for (float& v : row)
      v = bytes ? static_cast<float>(static_cast<int>(Uniform() * 256)) : Uniform() * 2 - 1;
  }
  return rows;
}

// The k nearest corpus rows of each query by float64 L2, ties by the smaller row.
std::vector<std::vector<int32_t>> Neighbors(const Rows& corpus, const Rows& queries) {
  std::vector<std::vector<int32_t>> result;
  for (const auto& q : queries) {
    std::vector<double> d(corpus.size());
    for (size_t i = 0; i < corpus.size(); ++i) {
      double s = 0;
      for (int j = 0; j < kDim; ++j) {
        const double diff = static_cast<double>(q[j]) - corpus[i][j];
        s += diff * diff;
      }
      d[i] = s;
    }
    std::vector<int32_t> order(corpus.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return d[a] < d[b]; });
    order.resize(kK);
    result.push_back(order);
  }
  return result;
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string Flat(const Rows& rows) {
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return trawl::testing::RawBytes(flat);
}

std::string JsonLines(const Rows& rows, bool queries) {
  std::string text;
  for (size_t i = 0; i < rows.size(); ++i) {
    absl::StrAppend(&text,
                    queries ? absl::StrCat("{\"qid\": ", 1000 + i)
                            : absl::StrCat("{\"docid\": \"doc-", i, "\", \"contents\": \"\""),
                    ", \"vector\": [");
    // %.9g: every float32 reads back as the same float32.
    for (int j = 0; j < kDim; ++j)
      absl::StrAppend(&text, j ? ", " : "", absl::StrFormat("%.9g", rows[i][j]));
    text += "]}\n";
  }
  return text;
}

void WriteHdf5(const std::string& path, const Rows& train, const Rows& test,
               const std::vector<std::vector<int32_t>>& neighbors) {
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
  const std::string train_bytes = Flat(train), test_bytes = Flat(test);
  std::vector<int32_t> ids;
  for (const auto& r : neighbors) ids.insert(ids.end(), r.begin(), r.end());
  write("train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, train.size(), kDim, train_bytes.data());
  write("test", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, test.size(), kDim, test_bytes.data());
  write("neighbors", H5T_STD_I32LE, H5T_NATIVE_INT32, neighbors.size(), kK, ids.data());
  H5Fclose(file);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_dense_testdata OUTPUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const Rows corpus = Generate(kRows, false), queries = Generate(kQueries, false);
  const auto truth = Neighbors(corpus, queries);
  Write(dir + "/base.fvecs", trawl::testing::Vecs(corpus));
  Write(dir + "/query.fvecs", trawl::testing::Vecs(queries));
  Write(dir + "/gt.ivecs", trawl::testing::Vecs(truth));
  Write(dir + "/base.npy",
        trawl::testing::Npy("<f4", absl::StrCat("(", kRows, ", ", kDim, ")"), Flat(corpus)));
  Write(dir + "/query.jsonl", JsonLines(queries, true));
  gzFile gz = gzopen((dir + "/base.jsonl.gz").c_str(), "wb9");
  const std::string docs = JsonLines(corpus, false);
  gzwrite(gz, docs.data(), static_cast<unsigned>(docs.size()));
  gzclose(gz);
  WriteHdf5(dir + "/ann.hdf5", corpus, queries, truth);

  const Rows byte_corpus = Generate(kRows, true), byte_queries = Generate(kQueries, true);
  auto to_bytes = [](const Rows& rows) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& r : rows) out.emplace_back(r.begin(), r.end());
    return out;
  };
  Write(dir + "/base.bvecs", trawl::testing::Vecs(to_bytes(byte_corpus)));
  Write(dir + "/query.bvecs", trawl::testing::Vecs(to_bytes(byte_queries)));
  Write(dir + "/gt_bvecs.ivecs", trawl::testing::Vecs(Neighbors(byte_corpus, byte_queries)));
  return 0;
}
