// mc_option on the device against the device's float32 rate measured in the same run. The limit
// is a chain of fused multiply-adds (__fmaf_rn, written out here only: this kernel measures the
// hardware ceiling and is not on the consensus path, where --fmad=false forbids contraction). Each
// kernel benchmark reports path steps per second and fma_slots_per_path_step, the FMA issue slots
// the device could have run in the time one path step took: the cost of a step in units of the
// float32 ceiling.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cuda/launchers.cuh"
#include "gpu_bench.cuh"

namespace gpoc::bench {
namespace {

constexpr int kFmaChains = 8;  // independent chains per thread, enough to hide the FMA latency
constexpr int kFmaIterations = 1 << 14;
constexpr unsigned kFmaThreads = 256;

__global__ void fma_chain_kernel(float* out, float a, float b) {
  float x[kFmaChains];
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) x[c] = static_cast<float>(threadIdx.x + c);
  for (int i = 0; i < kFmaIterations; ++i) {
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) x[c] = __fmaf_rn(x[c], a, b);
  }
  float sum = 0;
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) sum += x[c];
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;  // keeps the chains live
}

unsigned fma_blocks() {
  int device = 0, sms = 0;
  GPOC_BENCH_CUDA(cudaGetDevice(&device));
  GPOC_BENCH_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return static_cast<unsigned>(sms) * 16;  // 16 blocks of 256 threads per SM: several waves
}

// Seconds one launch of the FMA chains takes, timed with events, and the FMAs it ran.
struct FmaRun {
  double seconds = 0;
  double fmas = 0;
};

FmaRun run_fma_chain() {
  const unsigned blocks = fma_blocks();
  DeviceBytes out(std::size_t{blocks} * kFmaThreads * sizeof(float));
  cudaEvent_t start{}, stop{};
  GPOC_BENCH_CUDA(cudaEventCreate(&start));
  GPOC_BENCH_CUDA(cudaEventCreate(&stop));
  GPOC_BENCH_CUDA(cudaEventRecord(start));
  fma_chain_kernel<<<blocks, kFmaThreads>>>(out.as<float>(), 0.999f, 0.001f);
  GPOC_BENCH_CUDA(cudaGetLastError());
  GPOC_BENCH_CUDA(cudaEventRecord(stop));
  GPOC_BENCH_CUDA(cudaEventSynchronize(stop));
  float ms = 0;
  GPOC_BENCH_CUDA(cudaEventElapsedTime(&ms, start, stop));
  GPOC_BENCH_CUDA(cudaEventDestroy(start));
  GPOC_BENCH_CUDA(cudaEventDestroy(stop));
  return {static_cast<double>(ms) / 1e3,
          static_cast<double>(blocks) * kFmaThreads * kFmaIterations * kFmaChains};
}

// The float32 FMA rate, measured once per process (after a warm-up launch) for the kernel
// benchmarks' ratios.
double device_fma_per_s() {
  static const double rate = [] {
    (void)run_fma_chain();
    const FmaRun run = run_fma_chain();
    return run.fmas / run.seconds;
  }();
  return rate;
}

void BM_Fp32FmaChainGpu(benchmark::State& state) {
  if (!have_device(state)) return;
  double seconds = 0, fmas = 0;
  for (auto _ : state) {
    const FmaRun run = run_fma_chain();
    state.SetIterationTime(run.seconds);
    seconds += run.seconds;
    fmas += run.fmas;
  }
  state.counters["fma_per_s"] = fmas / seconds;
  state.counters["flop_per_s"] = 2 * fmas / seconds;
}
BENCHMARK(BM_Fp32FmaChainGpu)->UseManualTime()->MinWarmUpTime(0.2)->Unit(benchmark::kMillisecond);

// range(0) options of range(1) paths, launched as the CUDA backend launches them (scratch
// allocation included, the copies and the digest not).
void run_mc(benchmark::State& state, std::uint32_t type, std::uint32_t steps) {
  if (!have_device(state)) return;
  const int options = static_cast<int>(state.range(0));
  const auto paths = static_cast<std::uint64_t>(state.range(1));
  const std::vector<std::uint8_t> records = mc_option_records(options, type, steps);
  DeviceBytes input(records.size()), output(static_cast<std::size_t>(options) * 24);
  GPOC_BENCH_CUDA(cudaMemcpy(input.as(), records.data(), records.size(), cudaMemcpyHostToDevice));
  cudaStream_t stream = nullptr;
  GPOC_BENCH_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cudaEvent_t start{}, stop{};
  GPOC_BENCH_CUDA(cudaEventCreate(&start));
  GPOC_BENCH_CUDA(cudaEventCreate(&stop));
  double seconds = 0;
  for (auto _ : state) {
    GPOC_BENCH_CUDA(cudaEventRecord(start, stream));
    const Status status = kernels::detail::launch_mc_option(input.as(), records.size(), paths, 1,
                                                            output.as(), stream);
    if (!status.ok()) {
      state.SkipWithError(status.to_string().c_str());
      break;
    }
    GPOC_BENCH_CUDA(cudaEventRecord(stop, stream));
    GPOC_BENCH_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    GPOC_BENCH_CUDA(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(static_cast<double>(ms) / 1e3);
    seconds += static_cast<double>(ms) / 1e3;
  }
  GPOC_BENCH_CUDA(cudaEventDestroy(start));
  GPOC_BENCH_CUDA(cudaEventDestroy(stop));
  GPOC_BENCH_CUDA(cudaStreamDestroy(stream));
  if (seconds <= 0) return;
  const double total_paths =
      static_cast<double>(state.iterations()) * options * static_cast<double>(paths);
  const double path_steps_per_s = total_paths * steps / seconds;
  state.SetItemsProcessed(static_cast<std::int64_t>(total_paths));  // items = paths
  state.counters["paths_per_s"] = total_paths / seconds;
  state.counters["path_steps_per_s"] = path_steps_per_s;
  state.counters["device_fma_per_s"] = device_fma_per_s();
  // The FMA issue slots the device has in the time of one path step: a step's cost in units of
  // the float32 ceiling.
  state.counters["fma_slots_per_path_step"] = device_fma_per_s() / path_steps_per_s;
}

// 256 options of 2^20 paths: 2^20 chunk threads, about four waves of a full H100.
void BM_McOptionEuropeanGpu(benchmark::State& state) { run_mc(state, 0, 1); }
BENCHMARK(BM_McOptionEuropeanGpu)
    ->Args({256, 1 << 20})
    ->UseManualTime()
    ->MinWarmUpTime(0.2)
    ->Unit(benchmark::kMillisecond);

// 1024 options of 2^16 paths, 252 averaging dates (daily for a year): 2^18 chunk threads.
void BM_McOptionAsian252Gpu(benchmark::State& state) { run_mc(state, 2, 252); }
BENCHMARK(BM_McOptionAsian252Gpu)
    ->Args({1024, 1 << 16})
    ->UseManualTime()
    ->MinWarmUpTime(0.2)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpoc::bench
