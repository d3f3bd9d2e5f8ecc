// mc_option on the CPU backend, against its limit measured in the same run: Philox4x32-10 alone in
// a loop. Each kernel benchmark reports the Philox calls it needs per second
// (philox_calls_per_s, one call per four steps of a path); divided by BM_Philox4x32_10Cpu's
// items_per_second that is the fraction of the kernel's time the generator would take on its own.
//
// BM_VerificationOverheadCpu is the CPU counterpart of bench/gpu/overhead.cu: a task of at least
// 100 ms through the worker's whole path (kernel, result digest, signed contribution) against the
// kernel alone.
#include <benchmark/benchmark.h>

#include <time.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <string>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "mc_option.hpp"
#include "philox.hpp"
#include "worker_path.hpp"

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

// Wall-clock and this thread's CPU time, in seconds. The CPU backend and the worker path run on the
// calling thread, so its CPU time is their work, without the time other processes take from it
// on a shared machine (which moves a wall-clock ratio by several per cent between runs).
struct Clocks {
  double wall = 0;
  double cpu = 0;
  static Clocks now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(),
        static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9};
  }
  Clocks since() const {
    const Clocks t = now();
    return {t.wall - wall, t.cpu - cpu};
  }
  Clocks& operator+=(const Clocks& o) {
    wall += o.wall;
    cpu += o.cpu;
    return *this;
  }
};

// range(0) arithmetic-average Asian calls with 252 dates, range(1) paths each. The kernel alone is
// the CPU backend's loop over the bodies (run_mc_option_on_host); the worker's whole path is
// WorkerPath: the CPU backend's run (validation, the kernel, the result digest with OpenSSL) and
// the Ed25519-signed contribution statement, as `gpoc worker` does it. overhead_ratio is taken
// over this thread's CPU time, overhead_ratio_wall over wall-clock time.
void BM_VerificationOverheadCpu(benchmark::State& state) {
  auto cpu = kernels::make_cpu_backend();
  const int options = static_cast<int>(state.range(0));
  const auto paths = static_cast<std::uint64_t>(state.range(1));
  const Bytes input = option_records(options, 2, 252);
  const kernels::Params params = {{"paths", std::to_string(paths)}, {"seed", "1"}};
  bench::WorkerPath worker(*cpu, "mc_option", 1, params, input);
  Bytes output(static_cast<std::size_t>(options) * kernels::detail::kMcResultBytes);
  Clocks kernel_s, total_s, digest_s;
  // The kernel alone, the result digest alone, then the worker's whole path. False, after
  // SkipWithError, when the worker failed.
  auto run_once = [&](bool timed) {
    Clocks t0 = Clocks::now();
    kernels::detail::run_mc_option_on_host(input, paths, 1, output.data());
    benchmark::DoNotOptimize(output.data());
    const Clocks kernel = t0.since();
    t0 = Clocks::now();
    benchmark::DoNotOptimize(result_digest(output));
    const Clocks digest = t0.since();
    t0 = Clocks::now();
    const Status status = worker.run();
    const Clocks total = t0.since();
    if (!status.ok()) {
      state.SkipWithError(status.to_string().c_str());
      return false;
    }
    if (timed) {
      kernel_s += kernel;
      digest_s += digest;
      total_s += total;
      state.SetIterationTime(total.wall);
    }
    return true;
  };
  if (!run_once(false)) return;  // warm-up
  for (auto _ : state) {
    if (!run_once(true)) return;
  }
  // The counters in CPU time; the wall-clock ratio besides.
  if (!bench::report_overhead(state, worker, {kernel_s.cpu, digest_s.cpu, total_s.cpu})) return;
  state.counters["overhead_ratio_wall"] = total_s.wall / kernel_s.wall;
}
// 16 options x 2,048 paths x 252 dates = 8.3e6 path-steps: about 0.2 s on one core of the
// project's 2-vCPU EPYC VM (3.7e7 path-steps/s), the same task shape as the GPU case with fewer
// paths.
BENCHMARK(BM_VerificationOverheadCpu)
    ->Args({16, 2048})
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

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
