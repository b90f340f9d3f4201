// GPU benchmark of the dense pipeline against raw FAISS, side by side in one process on the same
// data and card (run on the lent GPU machine via the bundle):
//
//   For Flat (10,000 queries) and IVF4096,Flat at nprobe 32 (100,000 queries) over 1M x 128
//   clustered vectors, k = 10: the search throughput of
//     raw      FAISS's GpuIndexFlat / GpuIndexIVFFlat, searched in calls of 25,000 queries;
//     pipeline faiss_search as a pipeline runs it (the memory stage's Prepare and RunPlaced,
//              the FAISS call, the conversion to ranked lists), on an index faiss_index_build
//              placed;
//   median of 5 after one warm-up each, and their ratio (pipeline / raw; the target is >= 0.97);
//   then the same index written to an index folder and read back (as a cache hit places it).
//   Query sets are large enough that a raw repetition takes at least 100 ms on an H100.
//
//   dense_benchmark --out=dense_benchmark.txt
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "faiss/IndexFlat.h"
#include "faiss/gpu/GpuIndexFlat.h"
#include "faiss/gpu/GpuIndexIVFFlat.h"
#include "faiss/gpu/StandardGpuResources.h"
#include "memory/run_environment.h"
#include "pipelines/stage_test_runner.h"
#include "stages/dense/dense_index.h"
#include "stages/synth/clustered_dense.h"

ABSL_FLAG(std::string, out, "dense_benchmark.txt", "where to write the results table");
ABSL_FLAG(int64_t, num_vectors, 1000000, "corpus size");

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kBatch = 25000;  // queries per FAISS call, raw and pipeline alike

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Median seconds of 5 calls of `fn` after one warm-up.
template <typename Fn>
double MedianSeconds(Fn&& fn) {
  fn();
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return Median(times);
}

StageTestRunner MakeStage(const std::string& type, const std::string& options_type,
                          const std::string& options, const RunEnvironment& env) {
  absl::StatusOr<StageTestRunner> runner =
      StageTestRunner::Create("type: '" + type + "' options { [type.googleapis.com/trawl.dense." +
                                  options_type + "] { " + options + " } }",
                              env);
  if (!runner.ok()) {
    std::fprintf(stderr, "%s\n", runner.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(runner);
}

void Check(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    std::exit(1);
  }
}

struct Case {
  std::string name;
  std::string factory;
  int nlist;  // 0: Flat
  int nprobe;
  int64_t queries;
};

int Main() {
  const int64_t n = absl::GetFlag(FLAGS_num_vectors);
  std::ostringstream text;
  auto line = [&](const std::string& s) {
    std::printf("%s\n", s.c_str());
    std::fflush(stdout);
    text << s << "\n";
  };
  MemoryPolicy policy;
  policy.set_device(MemoryPolicy::GPU);
  absl::StatusOr<std::unique_ptr<ManagedEnvironment>> managed = MakeRunEnvironment(policy);
  Check(managed.status());
  const RunEnvironment& env = (*managed)->env;
  if (!env.gpu.usable()) {
    std::fprintf(stderr, "no usable GPU: %s\n", env.gpu.unavailable_reason.c_str());
    return 1;
  }
  line(absl::StrFormat("# dense_benchmark: %d x 128 clustered, k = 10; median of 5; %s", n,
                       env.gpu.devices.empty() ? "" : env.gpu.devices[0].name));

  for (const Case& c : {Case{"flat", "Flat", 0, 0, 10000},
                        Case{"ivf4096_flat_nprobe32", "IVF4096,Flat", 4096, 32, 100000}}) {
    ClusteredDenseSpec spec;
    spec.num_vectors = n;
    spec.num_queries = c.queries;
    spec.dim = 128;
    spec.num_clusters = 1000;
    spec.seed = 123;
    ClusteredDense data = *GenerateClusteredDense(spec);
    const int64_t k = 10;
    std::vector<float> distances(c.queries * k);
    std::vector<faiss::Index::idx_t> labels(c.queries * k);

    double raw_seconds;
    {
      faiss::gpu::StandardGpuResources resources;
      std::unique_ptr<faiss::Index> raw;
      if (c.nlist == 0) {
        raw = std::make_unique<faiss::gpu::GpuIndexFlatL2>(&resources, 128);
      } else {
        auto ivf = std::make_unique<faiss::gpu::GpuIndexIVFFlat>(&resources, 128, c.nlist,
                                                                 faiss::METRIC_L2);
        ivf->train(std::min<int64_t>(n, 256LL * c.nlist), data.corpus.data.data());
        ivf->setNumProbes(c.nprobe);
        raw = std::move(ivf);
      }
      raw->add(n, data.corpus.data.data());
      // In calls of at most 25,000 queries, as the pipeline makes them (query_batch below):
      // FAISS 1.7.3's GPU IVF search aborts past 65,535 queries in one call.
      raw_seconds = MedianSeconds([&] {
        for (int64_t begin = 0; begin < c.queries; begin += kBatch) {
          const int64_t count = std::min(kBatch, c.queries - begin);
          raw->search(count, data.queries.row(begin), k, distances.data() + begin * k,
                      labels.data() + begin * k);
        }
      });
    }

    StageTestRunner build = MakeStage("faiss_index_build", "FaissIndexBuildOptions",
                                      "factory: '" + c.factory + "'", env);
    build.SetInput("corpus", data.corpus);
    Check(build.Run());
    StageTestRunner search = MakeStage(
        "faiss_search", "FaissSearchOptions",
        absl::StrFormat("k: %d nprobe: %d query_batch: %d", k, std::max(c.nprobe, 1), kBatch), env);
    search.SetInput("index", std::move(*build.Output<DenseIndex>("index")));
    search.SetInput("queries", data.queries);
    const double pipeline_seconds = MedianSeconds([&] { Check(search.Run()); });

    line(absl::StrFormat(
        "%s: %d queries; raw FAISS %.1f ms (%.0f q/s); pipeline %.1f ms (%.0f q/s), device %s; "
        "ratio_pipeline_to_raw: %.3f",
        c.name, c.queries, raw_seconds * 1e3, c.queries / raw_seconds, pipeline_seconds * 1e3,
        c.queries / pipeline_seconds, search.report().device(), raw_seconds / pipeline_seconds));

    // The same index through an index folder: written from the GPU, read and placed again by
    // FAISS's cloner, as a cache hit or faiss_index_read places it.
    const std::string folder = "/tmp/dense_benchmark_" + c.name;
    StageTestRunner write =
        MakeStage("faiss_index_write", "FaissIndexWriteOptions", "path: '" + folder + "'", env);
    write.SetInput("index", std::move(*search.Output<DenseIndex>("index")));
    Check(write.Run());
    StageTestRunner read =
        MakeStage("faiss_index_read", "FaissIndexReadOptions", "path: '" + folder + "'", env);
    Check(read.Run());
    StageTestRunner search_read = MakeStage(
        "faiss_search", "FaissSearchOptions",
        absl::StrFormat("k: %d nprobe: %d query_batch: %d", k, std::max(c.nprobe, 1), kBatch), env);
    search_read.SetInput("index", std::move(*read.Output<DenseIndex>("index")));
    search_read.SetInput("queries", data.queries);
    const double read_seconds = MedianSeconds([&] { Check(search_read.Run()); });
    line(
        absl::StrFormat("%s read from an index folder: pipeline %.1f ms (%.0f q/s), device %s; "
                        "ratio_pipeline_to_raw: %.3f",
                        c.name, read_seconds * 1e3, c.queries / read_seconds,
                        search_read.report().device(), raw_seconds / read_seconds));
  }
  std::ofstream(absl::GetFlag(FLAGS_out)) << text.str();
  return 0;
}

}  // namespace
}  // namespace trawl

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return trawl::Main();
}
