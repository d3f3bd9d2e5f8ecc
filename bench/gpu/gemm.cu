// gemm_i8 and gemm_f32 launchers on the device against cuBLAS on the same GPU in the same run:
// the WMMA launcher against cuBLASLt's int8 GEMM (int32 compute and output), the cuBLAS-backed
// gemm_f32 launcher (pedantic math, its own workspace, a synchronize at the end) against a raw
// cublasSgemm. Square n^3 products; ops_per_s counts 2 n^3 per product.
#include <cublasLt.h>
#include <cublas_v2.h>

#include <cstdint>

#include "cuda/launchers.cuh"
#include "gpu_bench.cuh"

namespace gpoc::bench {
namespace {

#define GPOC_BENCH_CUBLAS(call)                                                 \
  do {                                                                          \
    const cublasStatus_t gpoc_bench_status = (call);                            \
    if (gpoc_bench_status != CUBLAS_STATUS_SUCCESS) {                           \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, \
                   cublasGetStatusString(gpoc_bench_status));                   \
      std::exit(1);                                                             \
    }                                                                           \
  } while (0)

constexpr std::size_t kLtWorkspaceBytes = std::size_t{32} << 20;

__global__ void fill_f32_kernel(float* p, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;  // splitmix64 finaliser
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    // 24 random bits as a value in [-1, 1).
    p[i] = static_cast<float>(static_cast<std::int32_t>((x >> 40) & 0xffffff) - 0x800000) /
           static_cast<float>(0x800000);
  }
}

void fill_f32(float* p, std::size_t count, std::uint64_t seed) {
  fill_f32_kernel<<<1024, 256>>>(p, count, seed);
  GPOC_BENCH_CUDA(cudaGetLastError());
  GPOC_BENCH_CUDA(cudaDeviceSynchronize());
}

void set_ops(benchmark::State& state, std::uint64_t n) {
  const double ops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  state.counters["ops_per_s"] = benchmark::Counter(ops * static_cast<double>(state.iterations()),
                                                   benchmark::Counter::kIsRate);
}

// The launcher as the backend calls it: A then B packed in one input buffer, int32 C.
void BM_GemmI8Launcher(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::uint64_t>(state.range(0));
  DeviceBytes input(2 * n * n), output(4 * n * n);
  input.fill_random(1);
  const BenchStream stream;
  EventTimer timer;
  const std::int8_t* a = input.as<const std::int8_t>();
  for (auto _ : state) {
    timer.start(stream.get());
    const Status s = kernels::detail::launch_gemm_i8(a, a + n * n, output.as<std::int32_t>(), n, n,
                                                     n, stream.get());
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
    timer.stop(stream.get(), state);
  }
  set_ops(state, n);
}
BENCHMARK(BM_GemmI8Launcher)
    ->Arg(4096)
    ->Arg(8192)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinWarmUpTime(0.2);

// cuBLASLt's int8 GEMM at the same m = n = k. Its int8 kernels want the "TN" layout: A and B both
// k-contiguous (A stored k x m column-major and transposed, which is gemm_i8's row-major A; B
// stored k x n column-major, i.e. gemm_i8's B transposed); C is m x n column-major int32.
void BM_CublasLtGemmI8(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::uint64_t>(state.range(0));
  const auto ld = static_cast<std::int64_t>(n);
  DeviceBytes a(n * n), b(n * n), c(4 * n * n), workspace(kLtWorkspaceBytes);
  a.fill_random(2);
  b.fill_random(3);
  const BenchStream stream;
  cublasLtHandle_t lt = nullptr;
  GPOC_BENCH_CUBLAS(cublasLtCreate(&lt));
  cublasLtMatmulDesc_t desc = nullptr;
  GPOC_BENCH_CUBLAS(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32I, CUDA_R_32I));
  const cublasOperation_t transpose = CUBLAS_OP_T;
  GPOC_BENCH_CUBLAS(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose,
                                                   sizeof transpose));
  cublasLtMatrixLayout_t layout_a = nullptr, layout_b = nullptr, layout_c = nullptr;
  GPOC_BENCH_CUBLAS(cublasLtMatrixLayoutCreate(&layout_a, CUDA_R_8I, n, n, ld));   // k x m
  GPOC_BENCH_CUBLAS(cublasLtMatrixLayoutCreate(&layout_b, CUDA_R_8I, n, n, ld));   // k x n
  GPOC_BENCH_CUBLAS(cublasLtMatrixLayoutCreate(&layout_c, CUDA_R_32I, n, n, ld));  // m x n
  cublasLtMatmulPreference_t preference = nullptr;
  GPOC_BENCH_CUBLAS(cublasLtMatmulPreferenceCreate(&preference));
  const std::size_t workspace_bytes = kLtWorkspaceBytes;
  GPOC_BENCH_CUBLAS(cublasLtMatmulPreferenceSetAttribute(preference,
                                                         CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                         &workspace_bytes, sizeof workspace_bytes));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  GPOC_BENCH_CUBLAS(cublasLtMatmulAlgoGetHeuristic(lt, desc, layout_a, layout_b, layout_c, layout_c,
                                                   preference, 1, &heuristic, &found));
  const std::int32_t alpha = 1, beta = 0;
  EventTimer timer;
  if (found == 0) {
    state.SkipWithError("cuBLASLt offers no int8 algorithm for this layout");
  } else {
    for (auto _ : state) {
      timer.start(stream.get());
      GPOC_BENCH_CUBLAS(cublasLtMatmul(lt, desc, &alpha, a.as(), layout_a, b.as(), layout_b, &beta,
                                       c.as(), layout_c, c.as(), layout_c, &heuristic.algo,
                                       workspace.as(), workspace_bytes, stream.get()));
      timer.stop(stream.get(), state);
    }
    set_ops(state, n);
  }
  GPOC_BENCH_CUBLAS(cublasLtMatmulPreferenceDestroy(preference));
  GPOC_BENCH_CUBLAS(cublasLtMatrixLayoutDestroy(layout_c));
  GPOC_BENCH_CUBLAS(cublasLtMatrixLayoutDestroy(layout_b));
  GPOC_BENCH_CUBLAS(cublasLtMatrixLayoutDestroy(layout_a));
  GPOC_BENCH_CUBLAS(cublasLtMatmulDescDestroy(desc));
  GPOC_BENCH_CUBLAS(cublasLtDestroy(lt));
}
BENCHMARK(BM_CublasLtGemmI8)
    ->Arg(4096)
    ->Arg(8192)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinWarmUpTime(0.2);

// The launcher as the backend calls it (cuBLAS opened at run time, a pooled handle with its own
// workspace, pedantic math, and a stream synchronize before it returns).
void BM_GemmF32Launcher(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::uint64_t>(state.range(0));
  DeviceBytes input(4 * 2 * n * n), output(4 * n * n);
  fill_f32(input.as<float>(), 2 * n * n, 4);
  const BenchStream stream;
  EventTimer timer;
  const float* a = input.as<const float>();
  for (auto _ : state) {
    timer.start(stream.get());
    const Status s =
        kernels::detail::launch_gemm_f32(a, a + n * n, output.as<float>(), n, n, n, stream.get());
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
    timer.stop(stream.get(), state);
  }
  set_ops(state, n);
}
BENCHMARK(BM_GemmF32Launcher)
    ->Arg(4096)
    ->Arg(8192)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinWarmUpTime(0.2);

// Raw cublasSgemm, default math mode and workspace, one handle on one stream: the same row-major
// product as column-major C^T = B^T A^T.
void BM_CublasSgemm(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::uint64_t>(state.range(0));
  const int ni = static_cast<int>(n);
  DeviceBytes a(4 * n * n), b(4 * n * n), c(4 * n * n);
  fill_f32(a.as<float>(), n * n, 5);
  fill_f32(b.as<float>(), n * n, 6);
  const BenchStream stream;
  cublasHandle_t handle = nullptr;
  GPOC_BENCH_CUBLAS(cublasCreate(&handle));
  GPOC_BENCH_CUBLAS(cublasSetStream(handle, stream.get()));
  const float alpha = 1.0f, beta = 0.0f;
  EventTimer timer;
  for (auto _ : state) {
    timer.start(stream.get());
    GPOC_BENCH_CUBLAS(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni, &alpha,
                                  b.as<float>(), ni, a.as<float>(), ni, &beta, c.as<float>(), ni));
    timer.stop(stream.get(), state);
  }
  set_ops(state, n);
  GPOC_BENCH_CUBLAS(cublasDestroy(handle));
}
BENCHMARK(BM_CublasSgemm)
    ->Arg(4096)
    ->Arg(8192)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinWarmUpTime(0.2);

}  // namespace
}  // namespace gpoc::bench
