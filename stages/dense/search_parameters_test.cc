#include "stages/dense/search_parameters.h"

#include <memory>
#include <random>
#include <vector>

#include "faiss/IndexHNSW.h"
#include "faiss/IndexIVF.h"
#include "faiss/IndexPreTransform.h"
#include "faiss/IndexShards.h"
#include "faiss/index_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace trawl {
namespace {

std::vector<float> RandomVectors(int n, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(n) * d);
  for (float& v : x) v = normal(rng);
  return x;
}

std::unique_ptr<faiss::Index> Build(const char* factory, int n, int d) {
  std::unique_ptr<faiss::Index> index(faiss::index_factory(d, factory));
  const std::vector<float> x = RandomVectors(n, d, 7);
  index->train(n, x.data());
  index->add(n, x.data());
  return index;
}

TEST(ScopedSearchParametersTest, HnswEfSearchHoldsForOneScope) {
  std::unique_ptr<faiss::Index> index = Build("HNSW16", 500, 8);
  auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get());
  ASSERT_NE(hnsw, nullptr);
  const int built_ef = hnsw->hnsw.efSearch;
  {
    absl::StatusOr<ScopedSearchParameters> scoped =
        ScopedSearchParameters::Apply(index.get(), 0, "efSearch=77", /*gpu=*/false);
    ASSERT_TRUE(scoped.ok()) << scoped.status();
    EXPECT_EQ(hnsw->hnsw.efSearch, 77);
  }
  EXPECT_EQ(hnsw->hnsw.efSearch, built_ef);
}

TEST(ScopedSearchParametersTest, NprobeAndParamsReachIvfInsideAPreTransform) {
  std::unique_ptr<faiss::Index> index = Build("PCA8,IVF16,Flat", 2000, 16);
  faiss::IndexIVF* ivf =
      dynamic_cast<faiss::IndexIVF*>(dynamic_cast<faiss::IndexPreTransform*>(index.get())->index);
  ASSERT_NE(ivf, nullptr);
  ivf->nprobe = 3;
  {
    auto scoped = ScopedSearchParameters::Apply(index.get(), 5, "", false);
    ASSERT_TRUE(scoped.ok());
    EXPECT_EQ(ivf->nprobe, 5u);
  }
  EXPECT_EQ(ivf->nprobe, 3u);
  {
    // params override the nprobe option, and max_codes is put back too.
    auto scoped = ScopedSearchParameters::Apply(index.get(), 5, "nprobe=9,max_codes=100", false);
    ASSERT_TRUE(scoped.ok());
    EXPECT_EQ(ivf->nprobe, 9u);
    EXPECT_EQ(ivf->max_codes, 100u);
  }
  EXPECT_EQ(ivf->nprobe, 3u);
  EXPECT_EQ(ivf->max_codes, 0u);
}

TEST(ScopedSearchParametersTest, AnUnknownNameIsAnErrorAndChangesNothing) {
  std::unique_ptr<faiss::Index> index = Build("IVF16,Flat", 2000, 8);
  auto* ivf = dynamic_cast<faiss::IndexIVF*>(index.get());
  ivf->nprobe = 2;
  // nprobe is set before FAISS rejects efSearch (an IVF over a flat quantizer has none).
  absl::StatusOr<ScopedSearchParameters> scoped =
      ScopedSearchParameters::Apply(index.get(), 0, "nprobe=8,efSearch=10", false);
  EXPECT_EQ(scoped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(scoped.status().message(), ::testing::HasSubstr("efSearch"));
  EXPECT_EQ(ivf->nprobe, 2u);
}

TEST(ScopedSearchParametersTest, EveryShardIsRestored) {
  faiss::IndexShards shards(8, /*threaded=*/false, /*successive_ids=*/true);
  std::unique_ptr<faiss::Index> a = Build("IVF8,Flat", 1000, 8);
  std::unique_ptr<faiss::Index> b = Build("IVF8,Flat", 1000, 8);
  shards.add_shard(a.get());
  shards.add_shard(b.get());
  {
    auto scoped = ScopedSearchParameters::Apply(&shards, 4, "", false);
    ASSERT_TRUE(scoped.ok());
    EXPECT_EQ(dynamic_cast<faiss::IndexIVF*>(a.get())->nprobe, 4u);
    EXPECT_EQ(dynamic_cast<faiss::IndexIVF*>(b.get())->nprobe, 4u);
  }
  EXPECT_EQ(dynamic_cast<faiss::IndexIVF*>(a.get())->nprobe, 1u);
  EXPECT_EQ(dynamic_cast<faiss::IndexIVF*>(b.get())->nprobe, 1u);
}

}  // namespace
}  // namespace trawl
