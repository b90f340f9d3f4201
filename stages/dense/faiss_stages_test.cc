// faiss_index_build + faiss_search on the CPU, checked against the independent exact_knn.
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stages/dense/exact_knn.h"
#include "stages/dense/faiss_test_util.h"
#include "stages/eval/knn_recall.h"
#include "stages/eval/ranked_lists_compare.h"
#include "stages/synth/clustered_dense.h"

namespace trawl {
namespace {

ClusteredDense Data() {
  ClusteredDenseSpec spec;
  spec.num_vectors = 4000;
  spec.num_queries = 50;
  spec.dim = 32;
  spec.num_clusters = 40;
  return *GenerateClusteredDense(spec);
}

RunEnvironment Cpu() {
  RunEnvironment env;
  return env;
}

class FaissStagesTest : public ::testing::TestWithParam<dense::Metric> {};

TEST_P(FaissStagesTest, FlatEqualsExactKnn) {
  ClusteredDense data = Data();
  const std::string metric = dense::Metric_Name(GetParam());
  std::string device;
  absl::StatusOr<RankedLists> flat =
      BuildAndSearch(data.corpus, data.queries, "metric: " + metric, "k: 10", Cpu(), &device);
  ASSERT_TRUE(flat.ok()) << flat.status();
  EXPECT_EQ(device, "cpu");
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, GetParam());
  RankedListsDiff diff = *CompareRankedLists(*flat, exact, 1e-4);
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  EXPECT_LT(diff.max_score_rel_diff, 1e-4) << diff.Summary();
}

INSTANTIATE_TEST_SUITE_P(Metrics, FaissStagesTest,
                         ::testing::Values(dense::L2, dense::INNER_PRODUCT, dense::COSINE));

// The same neighbours; scores equal up to float rounding (FAISS's CPU Flat computes distances by
// BLAS or SIMD loops depending on the batch size, and BLAS blocks by the batch size; L2 through
// |x|^2 + |y|^2 - 2xy loses about 1e-5 relative to cancellation).
TEST(FaissStagesTest, QueryBatchesGiveTheSameResults) {
  ClusteredDense data = Data();
  RankedLists whole = *BuildAndSearch(data.corpus, data.queries, "", "k: 10", Cpu());
  absl::StatusOr<RankedLists> batched =
      BuildAndSearch(data.corpus, data.queries, "", "k: 10 query_batch: 7", Cpu());
  ASSERT_TRUE(batched.ok()) << batched.status();
  RankedListsDiff diff = *CompareRankedLists(*batched, whole, 1e-4);
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  EXPECT_LT(diff.max_score_rel_diff, 1e-4) << diff.Summary();
}

TEST(FaissStagesIvfTest, IvfVisitingEveryListEqualsFlat) {
  ClusteredDense data = Data();
  RankedLists flat = *BuildAndSearch(data.corpus, data.queries, "", "k: 10", Cpu());
  absl::StatusOr<RankedLists> ivf = BuildAndSearch(
      data.corpus, data.queries, "index_type: IVF_FLAT nlist: 16", "k: 10 nprobe: 16", Cpu());
  ASSERT_TRUE(ivf.ok()) << ivf.status();
  RankedListsDiff diff = *CompareRankedLists(*ivf, flat, 1e-5);
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
}

TEST(FaissStagesIvfTest, IvfWithOneProbeLosesSomeRecallButReturnsK) {
  ClusteredDense data = Data();
  RankedLists ivf = *BuildAndSearch(data.corpus, data.queries, "index_type: IVF_FLAT nlist: 64",
                                    "k: 10 nprobe: 1", Cpu());
  EXPECT_EQ(ivf.doc_rows.size(), 500);
  EXPECT_EQ(std::count(ivf.doc_rows.begin(), ivf.doc_rows.end(), -1), 0);
}

TEST(FaissStagesValidationTest, IvfWithoutNlistIsRejectedAtOpen) {
  absl::StatusOr<StageTestRunner> build = StageTestRunner::Create(R"cfg(
    type: "faiss_index_build"
    options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { index_type: IVF_FLAT } })cfg");
  EXPECT_EQ(build.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(build.status().message(), "nlist must be > 0 for IVF_FLAT, got 0");
}

TEST(FaissStagesValidationTest, QueryDimensionMismatchNamesBoth) {
  ClusteredDense data = Data();
  DenseMatrix wrong = data.queries;
  wrong.dim = 16;
  wrong.rows *= 2;
  absl::Status s = BuildAndSearch(data.corpus, wrong, "", "k: 5", Cpu()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "queries have dimension 16, the index has 32");
}

TEST(FaissStagesValidationTest, FaissExceptionsBecomeStatusesWithFaissMessage) {
  ClusteredDense data = Data();
  // Training 64 lists on 10 points: FAISS throws; the stage returns its message.
  absl::Status s = BuildAndSearch(data.corpus, data.queries,
                                  "index_type: IVF_FLAT nlist: 64 train_size: 10", "k: 5", Cpu())
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("building IVF64,Flat: Error in"));
}

// FAISS index types by factory string, each against exact search at a recall it should reach on
// 4000 clustered 32-d vectors: exact types (Flat, IVF visiting every list) equal exact kNN up to
// ties; compressed ones (PQ with 8 bytes for 128, SQ8) and the HNSW graph lose a little.
struct FactoryCase {
  std::string factory;
  std::string params;
  double min_recall_at_10;
};

class FaissFactoryTest : public ::testing::TestWithParam<FactoryCase> {};

TEST_P(FaissFactoryTest, RecallAgainstExactSearch) {
  ClusteredDense data = Data();
  const FactoryCase& c = GetParam();
  absl::StatusOr<RankedLists> results =
      BuildAndSearch(data.corpus, data.queries, "factory: \"" + c.factory + "\"",
                     "k: 10 params: \"" + c.params + "\"", Cpu());
  ASSERT_TRUE(results.ok()) << results.status();
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, dense::L2);
  const double recall = *KnnRecall(*results, exact, 10);
  EXPECT_GE(recall, c.min_recall_at_10) << c.factory;
  if (c.min_recall_at_10 == 1.0) {
    EXPECT_TRUE(CompareRankedLists(*results, exact, 1e-4)->EqualUpToTies());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, FaissFactoryTest,
    ::testing::Values(
        FactoryCase{"Flat", "", 1.0},
        FactoryCase{"IVF16,Flat", "nprobe=16", 1.0},  // every list: exact
        FactoryCase{"IVF16,SQ8", "nprobe=16", 0.9},
        FactoryCase{"IVF16,PQ8np", "nprobe=16", 0.3},  // 8 bytes for 128
        FactoryCase{"HNSW32", "efSearch=128", 0.95},
        // Half the dimensions: within a cluster, neighbours rank by half the variance.
        FactoryCase{"PCA16,IVF16,Flat", "nprobe=16", 0.4}),
    [](const ::testing::TestParamInfo<FactoryCase>& info) { return std::to_string(info.index); });

TEST(FaissFactoryTest, FewProbesLoseRecallThroughParams) {
  ClusteredDense data = Data();
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, dense::L2);
  RankedLists one = *BuildAndSearch(data.corpus, data.queries, "factory: \"IVF64,Flat\"",
                                    "k: 10 params: \"nprobe=1\"", Cpu());
  RankedLists all = *BuildAndSearch(data.corpus, data.queries, "factory: \"IVF64,Flat\"",
                                    "k: 10 nprobe: 64", Cpu());
  EXPECT_LT(*KnnRecall(one, exact, 10), *KnnRecall(all, exact, 10));
  EXPECT_DOUBLE_EQ(*KnnRecall(all, exact, 10), 1.0);
}

TEST(FaissFactoryTest, FactoryAndIndexTypeTogetherAreRejectedAtOpen) {
  absl::StatusOr<StageTestRunner> build = StageTestRunner::Create(R"cfg(
    type: "faiss_index_build"
    options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] {
      factory: "IVF16,Flat" index_type: IVF_FLAT nlist: 16 } })cfg");
  EXPECT_EQ(build.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(build.status().message(),
            "factory \"IVF16,Flat\" and index_type/nlist both describe the index; set only "
            "factory");
}

TEST(FaissFactoryTest, BadFactoryStringsAndParamsNameTheProblem) {
  ClusteredDense data = Data();
  absl::Status s =
      BuildAndSearch(data.corpus, data.queries, "factory: \"IVF16,Flatt\"", "k: 5", Cpu()).status();
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("factory \"IVF16,Flatt\": Error in"));
  s = BuildAndSearch(data.corpus, data.queries, "factory: \"IVF16,Flat\"",
                     "k: 5 params: \"nprobes=3\"", Cpu())
          .status();
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("nprobes"));
}

TEST(FaissFactoryTest, EstimatesFollowTheCodeSize) {
  ClusteredDense data = Data();
  absl::StatusOr<StageTestRunner> build = StageTestRunner::Create(R"cfg(
    type: "faiss_index_build"
    options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: "IVF16,PQ8np" } })cfg",
                                                                  Cpu());
  ASSERT_TRUE(build.ok()) << build.status();
  build->SetInput("corpus", data.corpus);
  ASSERT_TRUE(build->Run().ok());
  // As FAISS's GPU IVF-PQ stores it: per vector the 8-byte PQ code and an 8-byte id; per list a
  // centroid of 32 floats, its norm, 3 list pointers, 31 codes of padding and 2 x 256 bytes of
  // alignment; the codebooks (8 x 256 x 4 floats) twice.
  EXPECT_EQ(build->estimate().device_bytes,
            4000 * (8 + 8) + 16 * (32 * 4 + 4 + 3 * 8 + 31 * 8 + 2 * 256) + 2 * 8 * 256 * 4 * 4);
  EXPECT_EQ(build->estimate().lossy_device_bytes, 0);  // PQ has no float16 form
}

TEST(FaissStagesTest, EstimatesCountTheCorpus) {
  ClusteredDense data = Data();
  absl::StatusOr<StageTestRunner> build =
      StageTestRunner::Create(R"cfg(type: "faiss_index_build")cfg", Cpu());
  build->SetInput("corpus", data.corpus);
  ASSERT_TRUE(build->Run().ok());
  // GpuIndexFlat: the vectors and a float norm each (float16 vectors on the lossy rung), two
  // allocations aligned to 256 bytes.
  EXPECT_EQ(build->estimate().device_bytes, 4000 * (32 * 4 + 4) + 2 * 256);
  EXPECT_EQ(build->estimate().lossy_device_bytes, 4000 * (32 * 2 + 4) + 2 * 256);
}

}  // namespace
}  // namespace trawl

namespace trawl {
namespace {

absl::StatusOr<StageTestRunner> Stage(const std::string& type, const std::string& options_type,
                                      const std::string& options) {
  return StageTestRunner::Create(absl::StrCat("type: '", type,
                                              "' options { [type.googleapis.com/trawl.dense.",
                                              options_type, "] { ", options, " } }"));
}

// Builds (or reads from the cache) an IVF-PQ index and searches it; `cache` gets the note.
RankedLists BuildCachedAndSearch(const ClusteredDense& data, const std::string& cache_dir,
                                 std::string* cache) {
  absl::StatusOr<StageTestRunner> build =
      Stage("faiss_index_build", "FaissIndexBuildOptions",
            "factory: 'IVF16,PQ8np' metric: INNER_PRODUCT cache_dir: '" + cache_dir + "'");
  EXPECT_TRUE(build.ok()) << build.status();
  build->SetInput("corpus", data.corpus);
  absl::Status built = build->Run();
  EXPECT_TRUE(built.ok()) << built;
  *cache = build->report().notes().at("cache");
  absl::StatusOr<StageTestRunner> search =
      Stage("faiss_search", "FaissSearchOptions", "k: 10 nprobe: 4");
  search->SetInput("index", std::move(*build->Output<DenseIndex>("index")));
  search->SetInput("queries", data.queries);
  EXPECT_TRUE(search->Run().ok());
  return *search->Output<RankedLists>("results");
}

TEST(FaissIndexCacheTest, RerunReadsTheCacheAndACorruptEntryIsRebuilt) {
  ClusteredDense data = Data();
  const std::string cache_dir = ::testing::TempDir() + "/index_cache";
  std::string note;
  const RankedLists first = BuildCachedAndSearch(data, cache_dir, &note);
  EXPECT_EQ(note, "miss");
  const RankedLists second = BuildCachedAndSearch(data, cache_dir, &note);
  EXPECT_EQ(note, "hit");
  EXPECT_EQ(second.doc_rows, first.doc_rows);
  EXPECT_EQ(second.scores, first.scores);

  // Corrupt the cached index: it is rebuilt (same training data and seed: the same index).
  std::string folder;
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir)) folder = entry.path();
  EXPECT_THAT(folder, ::testing::HasSubstr("/IVF16_PQ8np-INNER_PRODUCT-"));
  std::filesystem::resize_file(folder + "/index",
                               std::filesystem::file_size(folder + "/index") - 1);
  const RankedLists third = BuildCachedAndSearch(data, cache_dir, &note);
  EXPECT_THAT(note, ::testing::StartsWith("rebuilt: " + folder + "/index: expected "));
  EXPECT_EQ(third.doc_rows, first.doc_rows);
  BuildCachedAndSearch(data, cache_dir, &note);
  EXPECT_EQ(note, "hit");

  // Other data: another key, a miss.
  ClusteredDense other = data;
  other.corpus.data[0] += 1;
  BuildCachedAndSearch(other, cache_dir, &note);
  EXPECT_EQ(note, "miss");
}

TEST(FaissIndexIoTest, WriteThenReadSearchesTheSame) {
  ClusteredDense data = Data();
  data.corpus.ids = IdTable::Of([] {
    std::vector<std::string> ids;
    for (int i = 0; i < 4000; ++i) ids.push_back(absl::StrCat("doc-", i));
    return ids;
  }());
  absl::StatusOr<StageTestRunner> build =
      Stage("faiss_index_build", "FaissIndexBuildOptions", "factory: 'IVF16,Flat' metric: L2");
  build->SetInput("corpus", data.corpus);
  ASSERT_TRUE(build->Run().ok());
  DenseIndex built = std::move(*build->Output<DenseIndex>("index"));

  const std::string path = ::testing::TempDir() + "/ivf.index";
  absl::StatusOr<StageTestRunner> write =
      Stage("faiss_index_write", "FaissIndexWriteOptions", "path: '" + path + "'");
  ASSERT_TRUE(write.ok()) << write.status();
  write->SetInput("index", std::move(built));
  ASSERT_TRUE(write->Run().ok());

  absl::StatusOr<StageTestRunner> read =
      Stage("faiss_index_read", "FaissIndexReadOptions", "path: '" + path + "'");
  ASSERT_TRUE(read.ok()) << read.status();
  absl::Status status = read->Run();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(read->report().notes().at("index"), "IVF16,Flat, 4000 x 32, verified");
  const DenseIndex* index = read->Output<DenseIndex>("index");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->ids.Get(3999), "doc-3999");
  EXPECT_EQ(index->metric, dense::L2);

  absl::StatusOr<StageTestRunner> search =
      Stage("faiss_search", "FaissSearchOptions", "k: 10 nprobe: 16");
  search->SetInput("index", std::move(*read->Output<DenseIndex>("index")));
  search->SetInput("queries", data.queries);
  ASSERT_TRUE(search->Run().ok());
  const RankedLists* results = search->Output<RankedLists>("results");
  // nprobe = nlist: exact, as exact_knn says.
  RankedLists exact = *ExactKnn(data.corpus, data.queries, 10, dense::L2);
  RankedListsDiff diff = *CompareRankedLists(*results, exact, 1e-4);
  EXPECT_TRUE(diff.EqualUpToTies()) << diff.Summary();
  EXPECT_EQ(results->doc_id(results->doc_rows[0]).rfind("doc-", 0), 0u);

  absl::StatusOr<StageTestRunner> missing =
      Stage("faiss_index_read", "FaissIndexReadOptions", "path: '/nonexistent/folder'");
  EXPECT_EQ(missing->Run().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace trawl
