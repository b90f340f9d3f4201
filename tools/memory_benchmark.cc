// GPU benchmark of the memory-management stage (run on the lent GPU machine via the bundle):
//
//  1. The stage's own cost per invocation when nothing fails: Prepare (host validation, pin test
//     from the cache, temp tier, cleanup, ladder) plus RunPlaced with empty work, once the process
//     has its CUDA context and has pin-tested once. Median, p90 and max of 20.
//  2. Search throughput of a 1M x 128 Flat and an IVF4096,Flat index (10,000 queries, k = 10) at
//     temp memory 16 MiB ... 1.5 GiB, each on fresh StandardGpuResources as the ladder makes them:
//     which tier actually matters.
//
//   memory_benchmark --out=memory_benchmark.txt
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
#include "faiss/IndexIVFFlat.h"
#include "faiss/gpu/GpuCloner.h"
#include "faiss/gpu/GpuIndexFlat.h"
#include "faiss/gpu/GpuIndexIVFFlat.h"
#include "faiss/gpu/StandardGpuResources.h"
#include "memory/cuda_gpu_device.h"
#include "memory/gpu_probe.h"
#include "memory/memory_stage.h"
#include "stages/dense/faiss_placement.h"
#include "stages/synth/clustered_dense.h"

ABSL_FLAG(std::string, out, "memory_benchmark.txt", "where to write the results table");
ABSL_FLAG(int64_t, num_vectors, 1000000, "corpus size");
ABSL_FLAG(int64_t, num_queries, 10000, "queries per search");

namespace trawl {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Report {
  std::ostringstream text;
  template <typename... Args>
  void Line(const absl::FormatSpec<Args...>& format, const Args&... args) {
    std::string line = absl::StrFormat(format, args...);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    text << line << "\n";
  }
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(p * (values.size() - 1) + 0.5)];
}

// Best of 3 timed searches after a warm-up; queries per second.
double SearchQps(faiss::Index& index, const DenseMatrix& queries, int k) {
  std::vector<float> distances(queries.rows * k);
  std::vector<faiss::Index::idx_t> labels(queries.rows * k);
  index.search(100, queries.data.data(), k, distances.data(), labels.data());
  double best = 1e9;
  for (int r = 0; r < 3; ++r) {
    const Clock::time_point start = Clock::now();
    index.search(queries.rows, queries.data.data(), k, distances.data(), labels.data());
    best = std::min(best, Seconds(start));
  }
  return queries.rows / best;
}

int Main() {
  Report report;
  GpuEnvironment gpu = ProbeGpus();
  if (!gpu.usable()) {
    std::fprintf(stderr, "memory_benchmark: %s\n", gpu.unavailable_reason.c_str());
    return 1;
  }
  report.Line("device: %s, %.1f GiB", gpu.devices[0].name,
              gpu.devices[0].total_bytes / 1073741824.0);

  // 1. The memory stage's own cost.
  const int64_t n = absl::GetFlag(FLAGS_num_vectors);
  const int64_t dim = 128;
  CudaGpuDevice device(static_cast<int>(gpu.devices.size()));
  MemoryStage memory(MemoryPolicy(), &device);
  MemoryEstimate estimate;
  estimate.host_bytes = estimate.device_bytes = n * dim * 4;
  estimate.lossy_device_bytes = n * dim * 2;
  auto invocation = [&] {
    MemoryDecision decision;
    absl::Status status = memory.Prepare(estimate, decision);
    if (status.ok())
      status = memory.RunPlaced(
          [](const DeviceLease& lease) {
            const FaissLease faiss(lease);  // as a FAISS stage: fresh resources per attempt
            return absl::OkStatus();
          },
          decision);
    if (!status.ok())
      std::fprintf(stderr, "memory stage: %s\n", std::string(status.message()).c_str());
  };
  const Clock::time_point first = Clock::now();
  invocation();  // pays the pin test once
  const double first_ms = Seconds(first) * 1e3;
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const Clock::time_point start = Clock::now();
    invocation();
    ms.push_back(Seconds(start) * 1e3);
  }
  report.Line(
      "memory stage per invocation (Prepare + RunPlaced, no failure), 20 runs after the first:");
  report.Line("  median %.3f ms, p90 %.3f ms, max %.3f ms (first call, with its pin test: %.1f ms)",
              Percentile(ms, 0.5), Percentile(ms, 0.9), *std::max_element(ms.begin(), ms.end()),
              first_ms);

  // 2. Throughput by temp memory.
  ClusteredDenseSpec spec;
  spec.num_vectors = n;
  spec.num_queries = absl::GetFlag(FLAGS_num_queries);
  spec.dim = dim;
  ClusteredDense data = *GenerateClusteredDense(spec);
  const int k = 10;
  const std::vector<int64_t> temps_mib = {16, 64, 256, 512, 1024, 1536};
  auto factory = [](int64_t temp_bytes, int64_t pinned_bytes) {
    auto resources = std::make_shared<faiss::gpu::StandardGpuResources>();
    resources->setPinnedMemory(static_cast<size_t>(pinned_bytes));
    resources->setTempMemory(static_cast<size_t>(temp_bytes));
    return resources;
  };

  report.Line(
      "search throughput, %lld x %lld, %lld queries, k=%d, pinned 256 MiB, fresh resources per "
      "row:",
      static_cast<long long>(n), static_cast<long long>(dim),
      static_cast<long long>(data.queries.rows), k);
  report.Line("  %-22s %10s %12s", "index", "temp MiB", "queries/s");
  for (int64_t temp : temps_mib) {
    auto resources = factory(temp << 20, MemoryStage::kDefaultPinnedBytes);
    faiss::gpu::GpuIndexFlatConfig config;
    faiss::gpu::GpuIndexFlat index(resources.get(), dim, faiss::METRIC_L2, config);
    index.add(n, data.corpus.data.data());
    report.Line("  %-22s %10d %12.0f", "Flat", temp, SearchQps(index, data.queries, k));
  }
  // Train IVF once on the GPU, keep a CPU copy, and place it afresh for every temp size.
  std::unique_ptr<faiss::Index> cpu_ivf;
  {
    auto resources = factory(1536 << 20, MemoryStage::kDefaultPinnedBytes);
    faiss::gpu::GpuIndexIVFFlatConfig config;
    faiss::gpu::GpuIndexIVFFlat trainer(resources.get(), dim, 4096, faiss::METRIC_L2, config);
    const Clock::time_point start = Clock::now();
    trainer.train(std::min<int64_t>(n, 256 * 4096), data.corpus.data.data());
    trainer.add(n, data.corpus.data.data());
    report.Line("  (IVF4096,Flat trained and filled on the GPU in %.2f s)", Seconds(start));
    cpu_ivf.reset(faiss::gpu::index_gpu_to_cpu(&trainer));
  }
  for (int nprobe : {8, 32}) {
    for (int64_t temp : temps_mib) {
      auto resources = factory(temp << 20, MemoryStage::kDefaultPinnedBytes);
      std::unique_ptr<faiss::Index> index(
          faiss::gpu::index_cpu_to_gpu(resources.get(), 0, cpu_ivf.get()));
      dynamic_cast<faiss::gpu::GpuIndexIVF*>(index.get())->setNumProbes(nprobe);
      report.Line("  %-22s %10d %12.0f", absl::StrFormat("IVF4096,Flat nprobe=%d", nprobe), temp,
                  SearchQps(*index, data.queries, k));
    }
  }
  std::ofstream(absl::GetFlag(FLAGS_out)) << report.text.str();
  return 0;
}

}  // namespace
}  // namespace trawl

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return trawl::Main();
}
