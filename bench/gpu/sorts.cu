// sort_u64, sort_kv_u64 and histogram_u32 launchers on device buffers, each next to its limit in
// the same run: plain cub::DeviceRadixSort on the same data with its scratch allocated once
// (SortKeys u64; SortPairs u64/u64 on separate key and value arrays) and, for the histogram,
// BM_DeviceCopy (gpu_bench.cu). The launchers allocate their scratch (and sort_kv_u64 its key and
// value arrays) on every call and wait for the stream, as they do inside a task; that cost is
// part of what they are measured at.
//
// Histogram bytes are input bytes read; BM_DeviceCopy's are bytes copied (each read and written),
// so a histogram running at the memory's limit reports about twice BM_DeviceCopy's rate.
#include <cstdint>
#include <cub/device/device_radix_sort.cuh>
#include <string>

#include "cuda/launchers.cuh"
#include "gpu_bench.cuh"

namespace gpoc::bench {
namespace {

using kernels::detail::launch_histogram_u32;
using kernels::detail::launch_sort_kv_u64;
using kernels::detail::launch_sort_u64;

// Skips the benchmark (with the figures) when the device lacks the memory it needs.
bool have_memory(benchmark::State& state, std::size_t bytes) {
  std::size_t free_bytes = 0, total_bytes = 0;
  GPOC_BENCH_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (bytes <= free_bytes) return true;
  state.SkipWithError(("needs " + std::to_string(bytes) + " bytes of device memory, " +
                       std::to_string(free_bytes) + " free")
                          .c_str());
  return false;
}

void set_rates(benchmark::State& state, std::int64_t items, std::int64_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes);
}

// Runs launch() once per iteration between the timer's events; a failed launch ends the run.
template <typename Launch>
void time_launches(benchmark::State& state, cudaStream_t stream, Launch launch) {
  EventTimer timer;
  for (auto _ : state) {
    timer.start(stream);
    const Status status = launch();
    if (!status.ok()) {
      state.SkipWithError(status.to_string().c_str());
      break;
    }
    timer.stop(stream, state);
  }
}

// --- sort_u64 ---

void BM_SortU64Launcher(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t bytes = n * sizeof(std::uint64_t);
  if (!have_memory(state, 4 * bytes)) return;  // input, output, CUB's scratch and spare buffer
  DeviceBytes in(bytes), out(bytes);
  in.fill_random(64);
  BenchStream stream;
  time_launches(state, stream.get(), [&] {
    return launch_sort_u64(in.as<const std::uint64_t>(), out.as<std::uint64_t>(), n, stream.get());
  });
  set_rates(state, state.range(0), static_cast<std::int64_t>(bytes));
}

// The limit: CUB alone, scratch allocated once.
void BM_CubSortKeysU64(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t bytes = n * sizeof(std::uint64_t);
  if (!have_memory(state, 4 * bytes)) return;
  DeviceBytes in(bytes), out(bytes);
  in.fill_random(64);
  const auto items = static_cast<std::uint32_t>(n);  // the launchers' count type
  std::size_t scratch_bytes = 0;
  GPOC_BENCH_CUDA(cub::DeviceRadixSort::SortKeys(nullptr, scratch_bytes, in.as<std::uint64_t>(),
                                                 out.as<std::uint64_t>(), items, 0, 64));
  DeviceBytes scratch(scratch_bytes);
  BenchStream stream;
  EventTimer timer;
  for (auto _ : state) {
    timer.start(stream.get());
    GPOC_BENCH_CUDA(cub::DeviceRadixSort::SortKeys(scratch.as(), scratch_bytes,
                                                   in.as<std::uint64_t>(), out.as<std::uint64_t>(),
                                                   items, 0, 64, stream.get()));
    timer.stop(stream.get(), state);
  }
  set_rates(state, state.range(0), static_cast<std::int64_t>(bytes));
}

// --- sort_kv_u64 ---

void BM_SortKvU64Launcher(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t bytes = 2 * n * sizeof(std::uint64_t);
  // input, output, two key and two value arrays, scratch
  if (!have_memory(state, 5 * bytes)) return;
  DeviceBytes in(bytes), out(bytes);
  in.fill_random(116);
  BenchStream stream;
  time_launches(state, stream.get(), [&] {
    return launch_sort_kv_u64(in.as<const std::uint64_t>(), out.as<std::uint64_t>(), n,
                              stream.get());
  });
  set_rates(state, state.range(0), static_cast<std::int64_t>(bytes));
}

// The limit: CUB's SortPairs on keys and values already in separate arrays, scratch allocated
// once (the launcher also splits and joins the records).
void BM_CubSortPairsU64(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t array_bytes = n * sizeof(std::uint64_t);
  if (!have_memory(state, 8 * array_bytes)) return;
  DeviceBytes keys_in(array_bytes), keys_out(array_bytes);
  DeviceBytes values_in(array_bytes), values_out(array_bytes);
  keys_in.fill_random(116);
  values_in.fill_random(117);
  const auto items = static_cast<std::uint32_t>(n);  // the launchers' count type
  std::size_t scratch_bytes = 0;
  GPOC_BENCH_CUDA(cub::DeviceRadixSort::SortPairs(
      nullptr, scratch_bytes, keys_in.as<std::uint64_t>(), keys_out.as<std::uint64_t>(),
      values_in.as<std::uint64_t>(), values_out.as<std::uint64_t>(), items, 0, 64));
  DeviceBytes scratch(scratch_bytes);
  BenchStream stream;
  EventTimer timer;
  for (auto _ : state) {
    timer.start(stream.get());
    GPOC_BENCH_CUDA(cub::DeviceRadixSort::SortPairs(
        scratch.as(), scratch_bytes, keys_in.as<std::uint64_t>(), keys_out.as<std::uint64_t>(),
        values_in.as<std::uint64_t>(), values_out.as<std::uint64_t>(), items, 0, 64, stream.get()));
    timer.stop(stream.get(), state);
  }
  set_rates(state, state.range(0), static_cast<std::int64_t>(2 * array_bytes));
}

// --- histogram_u32 ---

// Arguments: values, bins, upper. 256 and 65536 bins take the shared-memory and the global
// atomics path; 2^32 is a power-of-two width (a shift), 10^9 is not (a 64-bit division).
void BM_HistogramU32Launcher(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto bins = static_cast<std::uint64_t>(state.range(1));
  const auto upper = static_cast<std::uint64_t>(state.range(2));
  const std::size_t bytes = n * sizeof(std::uint32_t);
  if (!have_memory(state, bytes + bins * 8)) return;
  DeviceBytes in(bytes), out(bins * 8);
  in.fill_random(32);
  BenchStream stream;
  time_launches(state, stream.get(), [&] {
    return launch_histogram_u32(in.as<const std::uint32_t>(), n, 0, upper, bins,
                                out.as<std::uint64_t>(), stream.get());
  });
  set_rates(state, state.range(0), static_cast<std::int64_t>(bytes));
}

constexpr std::int64_t kSmall = std::int64_t{1} << 24;
constexpr std::int64_t kLarge = std::int64_t{1} << 28;
constexpr std::int64_t kFullRange = std::int64_t{1} << 32;

BENCHMARK(BM_SortU64Launcher)->Arg(kSmall)->Arg(kLarge)->UseManualTime()->MinWarmUpTime(0.2);
BENCHMARK(BM_CubSortKeysU64)->Arg(kSmall)->Arg(kLarge)->UseManualTime()->MinWarmUpTime(0.2);
BENCHMARK(BM_SortKvU64Launcher)->Arg(kSmall)->Arg(kLarge)->UseManualTime()->MinWarmUpTime(0.2);
BENCHMARK(BM_CubSortPairsU64)->Arg(kSmall)->Arg(kLarge)->UseManualTime()->MinWarmUpTime(0.2);
BENCHMARK(BM_HistogramU32Launcher)
    ->Args({kSmall, 256, kFullRange})
    ->Args({kLarge, 256, kFullRange})
    ->Args({kLarge, 65536, kFullRange})
    ->Args({kLarge, 256, 1000000000})
    ->UseManualTime()
    ->MinWarmUpTime(0.2);

}  // namespace
}  // namespace gpoc::bench
