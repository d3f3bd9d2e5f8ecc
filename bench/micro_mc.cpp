// mc_option on the CPU backend, against its limit measured in the same run: Philox4x32-10 alone in
// a loop. Each kernel benchmark reports the Philox calls it needs per second
// (philox_calls_per_s, one call per four steps of a path); divided by BM_Philox4x32_10Cpu's
// items_per_second that is the fraction of the kernel's time the generator would take on its own.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <string>

#include "gpoc/common/bytes.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "philox.hpp"

namespace {

using namespace gpoc;

// `options` records of one kind with slightly different strikes, at the money on average.
Bytes option_records(int options, std::uint32_t type, std::uint32_t steps) {
  ByteWriter w(static_cast<std::size_t>(options) * 32);
  for (int i = 0; i < options; ++i) {
    w.u32(type);
    w.u32(steps);
    const float strike = 90.0f + static_cast<float>(i % 21);
    for (float f : {100.0f, strike, 0.05f, 0.2f, 1.0f}) w.u32(std::bit_cast<std::uint32_t>(f));
    w.u32(0);
  }
  return std::move(w).take();
}

// range(0) options of range(1) paths each.
void run_mc(benchmark::State& state, std::uint32_t type, std::uint32_t steps) {
  auto cpu = kernels::make_cpu_backend();
  const int options = static_cast<int>(state.range(0));
  const Bytes input = option_records(options, type, steps);
  const kernels::Params params = {{"paths", std::to_string(state.range(1))}, {"seed", "1"}};
  for (auto _ : state) {
    Result<kernels::KernelOutput> out = cpu->run("mc_option", 1, params, input);
    if (!out.ok()) {
      state.SkipWithError(out.status().to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  const double paths =
      static_cast<double>(state.iterations()) * options * static_cast<double>(state.range(1));
  state.SetItemsProcessed(static_cast<std::int64_t>(paths));  // items = paths
  state.counters["path_steps_per_s"] =
      benchmark::Counter(paths * steps, benchmark::Counter::kIsRate);
  state.counters["philox_calls_per_s"] =
      benchmark::Counter(paths * ((steps + 3) / 4), benchmark::Counter::kIsRate);
}

void BM_KernelMcOptionEuropeanCpu(benchmark::State& state) { run_mc(state, 0, 1); }
BENCHMARK(BM_KernelMcOptionEuropeanCpu)->Args({8, 1 << 17})->Unit(benchmark::kMillisecond);

void BM_KernelMcOptionAsian252Cpu(benchmark::State& state) { run_mc(state, 2, 252); }
BENCHMARK(BM_KernelMcOptionAsian252Cpu)->Args({8, 1 << 11})->Unit(benchmark::kMillisecond);

// The limit: Philox4x32-10 calls (four 32-bit words each) with nothing else, counters walking as
// the kernel's do; the words are folded so the calls cannot be dropped.
void BM_Philox4x32_10Cpu(benchmark::State& state) {
  const kernels::detail::Philox4x32Key key = {{1, 0}};
  std::uint32_t fold = 0;
  std::uint32_t path = 0;
  for (auto _ : state) {
    for (std::uint32_t i = 0; i < 4096; ++i, ++path) {
      const kernels::detail::Philox4x32Counter w =
          kernels::detail::philox4x32({{path, 0, 0, 0}}, key);
      fold ^= w.v[0] ^ w.v[1] ^ w.v[2] ^ w.v[3];
    }
    benchmark::DoNotOptimize(fold);
  }
  state.SetItemsProcessed(state.iterations() * 4096);  // items = calls
  state.counters["words_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 4096 * 4, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Philox4x32_10Cpu);

}  // namespace
