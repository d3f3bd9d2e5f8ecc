// What the GPU benchmarks share: a device check that skips with the reason, device buffers filled
// with random bytes, and timing with CUDA events (manual time: Google Benchmark reports what the
// events measured, after its warm-up). Every CUDA call is checked.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace gpoc::bench {

// A benchmark cannot continue after a failed CUDA call: say where, and stop the process.
#define GPOC_BENCH_CUDA(call)                                                   \
  do {                                                                          \
    const cudaError_t gpoc_bench_err = (call);                                  \
    if (gpoc_bench_err != cudaSuccess) {                                        \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, \
                   cudaGetErrorString(gpoc_bench_err));                         \
      std::exit(1);                                                             \
    }                                                                           \
  } while (0)

// True when device 0 is usable; otherwise marks the benchmark skipped with the reason.
inline bool have_device(benchmark::State& state) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    state.SkipWithError(("no CUDA device: " +
                         std::string(err != cudaSuccess ? cudaGetErrorString(err) : "none present"))
                            .c_str());
    return false;
  }
  return true;
}

// A device allocation freed on scope exit, filled with pseudo-random bytes on request.
class DeviceBytes {
 public:
  explicit DeviceBytes(std::size_t bytes) : bytes_(bytes) {
    GPOC_BENCH_CUDA(cudaMalloc(&ptr_, bytes > 0 ? bytes : 1));
  }
  ~DeviceBytes() { (void)cudaFree(ptr_); }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;
  template <typename T = std::uint8_t>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  std::size_t size() const { return bytes_; }
  void fill_random(std::uint64_t seed);  // gpu_bench.cu

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// A non-blocking stream for one benchmark, destroyed on scope exit.
class BenchStream {
 public:
  BenchStream() { GPOC_BENCH_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~BenchStream() { (void)cudaStreamDestroy(stream_); }
  BenchStream(const BenchStream&) = delete;
  BenchStream& operator=(const BenchStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_{};
};

// Times one iteration on a stream with events and hands the time to Google Benchmark.
class EventTimer {
 public:
  EventTimer() {
    GPOC_BENCH_CUDA(cudaEventCreate(&start_));
    GPOC_BENCH_CUDA(cudaEventCreate(&stop_));
  }
  ~EventTimer() {
    (void)cudaEventDestroy(start_);
    (void)cudaEventDestroy(stop_);
  }
  void start(cudaStream_t s) { GPOC_BENCH_CUDA(cudaEventRecord(start_, s)); }
  // Waits for the stop event and returns the seconds since start.
  double stop_seconds(cudaStream_t s) {
    GPOC_BENCH_CUDA(cudaEventRecord(stop_, s));
    GPOC_BENCH_CUDA(cudaEventSynchronize(stop_));
    float ms = 0;
    GPOC_BENCH_CUDA(cudaEventElapsedTime(&ms, start_, stop_));
    return static_cast<double>(ms) / 1e3;
  }
  // Waits for the stop event and reports the elapsed time as this iteration's.
  void stop(cudaStream_t s, benchmark::State& state) { state.SetIterationTime(stop_seconds(s)); }

 private:
  cudaEvent_t start_{};
  cudaEvent_t stop_{};
};

// n mc_option records of one type and step count (32 bytes each, little-endian), with strikes
// 90..110 around a spot of 100: at the money on average.
std::vector<std::uint8_t> mc_option_records(int options, std::uint32_t type, std::uint32_t steps);

}  // namespace gpoc::bench
