// sort_u64, sort_kv_u64 and histogram_u32 through the CPU backend, each next to its limit measured
// in the same run on the same bytes: std::sort, std::stable_sort, and one plain read of the input.
// The kernel figures include what a task costs beyond the algorithm (validation, the poisoned
// output buffer, decoding and encoding little-endian, the result digest).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gpoc/kernels/kernels.hpp"

namespace {

using namespace gpoc;

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

void run_kernel(benchmark::State& state, const char* id, const kernels::Params& params,
                const Bytes& input) {
  auto cpu = kernels::make_cpu_backend();
  for (auto _ : state) {
    Result<kernels::KernelOutput> out = cpu->run(id, 1, params, input);
    if (!out.ok()) {
      state.SkipWithError(out.status().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(out->digest);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

void BM_KernelSortU64Cpu(benchmark::State& state) {
  const Bytes input = random_bytes(8 * static_cast<std::size_t>(state.range(0)), 64);
  run_kernel(state, "sort_u64", {}, input);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KernelSortU64Cpu)->Arg(1 << 20);

// The limit for sort_u64: std::sort of the same values, already in a vector.
void BM_StdSortU64(benchmark::State& state) {
  const Bytes input = random_bytes(8 * static_cast<std::size_t>(state.range(0)), 64);
  std::vector<std::uint64_t> v(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::memcpy(v.data(), input.data(), input.size());
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_StdSortU64)->Arg(1 << 20);

// Few distinct keys (2^16), so runs of equal keys are long and stability matters.
Bytes kv_input(std::size_t records) {
  Bytes input = random_bytes(16 * records, 116);
  for (std::size_t i = 0; i < records; ++i) std::memset(input.data() + 16 * i + 2, 0, 6);
  return input;
}

void BM_KernelSortKvU64Cpu(benchmark::State& state) {
  const Bytes input = kv_input(static_cast<std::size_t>(state.range(0)));
  run_kernel(state, "sort_kv_u64", {}, input);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KernelSortKvU64Cpu)->Arg(1 << 20);

// The limit for sort_kv_u64: std::stable_sort by key of the same records, already in a vector.
void BM_StdStableSortKv(benchmark::State& state) {
  struct Record {
    std::uint64_t key;
    std::uint64_t value;
  };
  const Bytes input = kv_input(static_cast<std::size_t>(state.range(0)));
  std::vector<Record> v(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::memcpy(v.data(), input.data(), input.size());
    std::stable_sort(v.begin(), v.end(),
                     [](const Record& a, const Record& b) { return a.key < b.key; });
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_StdStableSortKv)->Arg(1 << 20);

// Arguments: values, bins. 2^32 is a power-of-two width (a shift per value); [0, 10^9) is not
// (a division per value).
void BM_KernelHistogramU32Cpu(benchmark::State& state) {
  const Bytes input = random_bytes(4 * static_cast<std::size_t>(state.range(0)), 32);
  run_kernel(state, "histogram_u32",
             {{"bins", std::to_string(state.range(1))}, {"upper", std::to_string(state.range(2))}},
             input);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KernelHistogramU32Cpu)
    ->Args({1 << 24, 256, std::int64_t{1} << 32})
    ->Args({1 << 24, 65536, std::int64_t{1} << 32})
    ->Args({1 << 24, 256, 1000000000});

// The limit for the histogram: one plain read of the same bytes (a sum of 64-bit words).
void BM_ReadBytes(benchmark::State& state) {
  const Bytes input = random_bytes(4 * static_cast<std::size_t>(state.range(0)), 32);
  for (auto _ : state) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i + 8 <= input.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, input.data() + i, 8);
      sum += word;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_ReadBytes)->Arg(1 << 24);

}  // namespace
