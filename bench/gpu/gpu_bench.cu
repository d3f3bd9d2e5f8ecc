// The device's own limits, measured in the same run as the kernels: copy bandwidth (memory-bound
// kernels and the digest are reported against it).
#include "gpu_bench.cuh"

#include <bit>

namespace gpoc::bench {
namespace {

__global__ void fill_kernel(std::uint8_t* p, std::size_t n, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;  // splitmix64 finaliser
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    p[i] = static_cast<std::uint8_t>(x ^ (x >> 31));
  }
}

// Device-to-device copy of N bytes: reads N and writes N. Reported as bytes copied per second
// (N / time), the usual "copy bandwidth"; the memory traffic is twice that.
void BM_DeviceCopy(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto bytes = static_cast<std::size_t>(state.range(0));
  DeviceBytes src(bytes), dst(bytes);
  src.fill_random(1);
  EventTimer timer;
  for (auto _ : state) {
    timer.start(nullptr);
    GPOC_BENCH_CUDA(cudaMemcpyAsync(dst.as(), src.as(), bytes, cudaMemcpyDeviceToDevice));
    timer.stop(nullptr, state);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_DeviceCopy)
    ->Arg(std::int64_t{256} << 20)
    ->Arg(std::int64_t{1} << 30)
    ->UseManualTime()
    ->MinWarmUpTime(0.2);

}  // namespace

void DeviceBytes::fill_random(std::uint64_t seed) {
  fill_kernel<<<1024, 256>>>(as(), bytes_, seed);
  GPOC_BENCH_CUDA(cudaGetLastError());
  GPOC_BENCH_CUDA(cudaDeviceSynchronize());
}

std::vector<std::uint8_t> mc_option_records(int options, std::uint32_t type, std::uint32_t steps) {
  std::vector<std::uint8_t> out;
  auto put = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  for (int i = 0; i < options; ++i) {
    put(type);
    put(steps);
    const float strike = 90.0f + static_cast<float>(i % 21);
    for (float f : {100.0f, strike, 0.05f, 0.2f, 1.0f}) put(std::bit_cast<std::uint32_t>(f));
    put(0);
  }
  return out;
}

}  // namespace gpoc::bench

BENCHMARK_MAIN();
