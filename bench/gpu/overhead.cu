// Verification overhead on the GPU. The issue's target: for a task that runs for at least 100 ms
// on the GPU, (kernel + digest + signing) / kernel <= 1.05. The task is mc_option; its kernel
// alone is timed with CUDA events (the launcher the CUDA backend calls, scratch allocation
// included), and the worker's whole path with the host clock: WorkerPath runs the worker's own
// code, i.e. the CUDA backend (input copy, kernel, the RFC 6962 result digest on the device, the
// output copied back) and then the Ed25519-signed contribution statement. The copies are part of
// the measured overhead, so the ratio is, if anything, pessimistic.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../worker_path.hpp"
#include "cuda/launchers.cuh"
#include "gpoc/kernels/kernels.hpp"
#include "gpu_bench.cuh"

namespace gpoc::bench {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// range(0) arithmetic-average Asian calls with 252 dates, range(1) paths each.
void BM_VerificationOverheadGpu(benchmark::State& state) {
  if (!have_device(state)) return;
  Result<std::unique_ptr<kernels::Backend>> backend = kernels::make_cuda_backend(0);
  if (!backend.ok()) {
    state.SkipWithError(("CUDA backend unavailable: " + backend.status().message()).c_str());
    return;
  }
  const int options = static_cast<int>(state.range(0));
  const auto paths = static_cast<std::uint64_t>(state.range(1));
  const std::vector<std::uint8_t> records = mc_option_records(options, 2, 252);
  const kernels::Params params = {{"paths", std::to_string(paths)}, {"seed", "1"}};
  WorkerPath worker(**backend, "mc_option", 1, params, records);

  DeviceBytes input(records.size()), output(static_cast<std::size_t>(options) * 24);
  GPOC_BENCH_CUDA(cudaMemcpy(input.as(), records.data(), records.size(), cudaMemcpyHostToDevice));
  BenchStream stream;
  EventTimer timer;
  double kernel_s = 0, total_s = 0, digest_s = 0;
  auto fail = [&](const Status& status) {
    state.SkipWithError(status.to_string().c_str());
    return false;
  };
  // The kernel alone and the device digest alone (events), then the worker's whole path (host
  // clock). False, after SkipWithError, when something failed.
  auto run_once = [&](bool timed) {
    timer.start(stream.get());
    const Status launched = kernels::detail::launch_mc_option(input.as(), records.size(), paths, 1,
                                                              output.as(), stream.get());
    const double kernel = timer.stop_seconds(stream.get());
    if (!launched.ok()) return fail(launched);
    timer.start(stream.get());
    const Result<Digest32> digest =
        kernels::detail::device_result_digest(output.as(), output.size(), stream.get());
    const double digest_only = timer.stop_seconds(stream.get());
    if (!digest.ok()) return fail(digest.status());
    const auto t0 = std::chrono::steady_clock::now();
    const Status ran = worker.run();
    const double total = seconds_since(t0);
    if (!ran.ok()) return fail(ran);
    if (timed) {
      kernel_s += kernel;
      digest_s += digest_only;
      total_s += total;
      state.SetIterationTime(total);
    }
    return true;
  };
  // Warm-up: the first launch loads the module, the first backend run creates its stream.
  if (!run_once(false)) return;
  for (auto _ : state) {
    if (!run_once(true)) return;
  }
  if (!report_overhead(state, worker, {kernel_s, digest_s, total_s})) return;
  const double n = static_cast<double>(state.iterations());
  state.counters["path_steps_per_s"] =
      static_cast<double>(options) * static_cast<double>(paths) * 252 / (kernel_s / n);
}
// 16 options x 2^24 paths x 252 dates = 6.8e10 path-steps: about 0.2-0.7 s on an H100 (1e11-3e11
// path-steps/s), and exactly at mc_option's work cap (16 x 2^24 x 4096 = 2^40), so the worker
// accepts it.
BENCHMARK(BM_VerificationOverheadGpu)
    ->Args({16, std::int64_t{1} << 24})
    ->UseManualTime()
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpoc::bench
