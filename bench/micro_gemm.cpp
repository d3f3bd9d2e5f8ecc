// CPU benchmarks of gemm_i8 and gemm_f32 through the CPU backend (validation, the product and the
// result digest), with their limits measured in the same run:
//   - the multiply-add rate of plain single-thread loops over data in L1: an int8 dot product,
//     a float dot product in order (what "sum p ascending" costs when it cannot vectorise), and
//     the float row update acc[j] += a * b[j] that the kernel's inner loop is;
//   - the Freivalds certificate on the same task (its cost against the product's).
// Rates are counted as 2 m n k operations per product ("ops_per_s"), 2 per multiply-add.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gpoc/kernels/certificate.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace {

using namespace gpoc;

kernels::Params cube_params(std::int64_t n) {
  const std::string s = std::to_string(n);
  return {{"k", s}, {"m", s}, {"n", s}};
}

Bytes random_input(std::size_t bytes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(bytes);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Floats in [-1, 1), little-endian, for A then B.
Bytes random_f32_input(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  Bytes b;
  b.reserve(4 * count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto v = std::bit_cast<std::uint32_t>(value(rng));
    for (int s = 0; s < 4; ++s) b.push_back(static_cast<std::uint8_t>(v >> (8 * s)));
  }
  return b;
}

void set_ops(benchmark::State& state, double ops_per_iteration) {
  state.counters["ops_per_s"] = benchmark::Counter(
      ops_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

Bytes cube_input(const char* id, std::int64_t n) {
  const auto elements = static_cast<std::size_t>(2 * n * n);
  return std::string_view(id) == "gemm_i8" ? random_input(elements, 1)
                                           : random_f32_input(elements, 2);
}

void run_cube(benchmark::State& state, const char* id) {
  const std::int64_t n = state.range(0);
  auto cpu = kernels::make_cpu_backend();
  const Bytes input = cube_input(id, n);
  const kernels::Params params = cube_params(n);
  for (auto _ : state) {
    Result<kernels::KernelOutput> out = cpu->run(id, 1, params, input);
    if (!out.ok()) {
      state.SkipWithError(out.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(out->digest);
  }
  set_ops(state, 2.0 * static_cast<double>(n * n * n));
}

void BM_KernelGemmI8Cpu(benchmark::State& state) { run_cube(state, "gemm_i8"); }
BENCHMARK(BM_KernelGemmI8Cpu)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

void BM_KernelGemmF32Cpu(benchmark::State& state) { run_cube(state, "gemm_f32"); }
BENCHMARK(BM_KernelGemmF32Cpu)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

// The certificate on a correct output of the same cube, `rounds` rounds (range 1). ops_per_s
// counts the product's 2 n^3 per check: the rate at which it certifies product work.
void run_certificate(benchmark::State& state, const char* id) {
  const std::int64_t n = state.range(0);
  const auto rounds = static_cast<std::uint32_t>(state.range(1));
  const Bytes input = cube_input(id, n);
  const kernels::Params params = cube_params(n);
  Result<kernels::KernelOutput> out = kernels::make_cpu_backend()->run(id, 1, params, input);
  if (!out.ok()) {
    state.SkipWithError(out.status().message().c_str());
    return;
  }
  kernels::CertificateSeed seed{};
  seed.fill(7);
  for (auto _ : state) {
    Result<kernels::CertificateVerdict> v =
        kernels::check_certificate(id, 1, params, input, out->data, rounds, seed);
    if (!v.ok() || !v->passed) {
      state.SkipWithError("the certificate rejected a correct output");
      return;
    }
    benchmark::DoNotOptimize(v->log2_false_accept);
  }
  set_ops(state, 2.0 * static_cast<double>(n * n * n));
}

void BM_FreivaldsGemmI8(benchmark::State& state) { run_certificate(state, "gemm_i8"); }
BENCHMARK(BM_FreivaldsGemmI8)
    ->Args({256, 1})
    ->Args({512, 1})
    ->Args({512, 20})
    ->Unit(benchmark::kMillisecond);

void BM_FreivaldsGemmF32(benchmark::State& state) { run_certificate(state, "gemm_f32"); }
BENCHMARK(BM_FreivaldsGemmF32)
    ->Args({256, 1})
    ->Args({512, 1})
    ->Args({512, 20})
    ->Unit(benchmark::kMillisecond);

// The limits: single-thread loops over 4096 elements, which stay in L1.
constexpr std::size_t kLimitLength = 4096;

void BM_DotI8Limit(benchmark::State& state) {
  const Bytes x = random_input(kLimitLength, 3), y = random_input(kLimitLength, 4);
  const auto* a = reinterpret_cast<const std::int8_t*>(x.data());
  const auto* b = reinterpret_cast<const std::int8_t*>(y.data());
  for (auto _ : state) {
    std::int32_t sum = 0;
    for (std::size_t i = 0; i < kLimitLength; ++i) sum += a[i] * b[i];
    benchmark::DoNotOptimize(sum);
    benchmark::ClobberMemory();
  }
  set_ops(state, 2.0 * kLimitLength);
}
BENCHMARK(BM_DotI8Limit);

// A float dot product summed in order: contraction off and a fixed order keep it scalar.
void BM_DotF32Limit(benchmark::State& state) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> a(kLimitLength), b(kLimitLength);
  for (std::size_t i = 0; i < kLimitLength; ++i) a[i] = value(rng), b[i] = value(rng);
  for (auto _ : state) {
    float sum = 0;
    for (std::size_t i = 0; i < kLimitLength; ++i) sum = sum + a[i] * b[i];
    benchmark::DoNotOptimize(sum);
    benchmark::ClobberMemory();
  }
  set_ops(state, 2.0 * kLimitLength);
}
BENCHMARK(BM_DotF32Limit);

// The kernel's inner loop alone, in L1: acc[j] = acc[j] + a * b[j] (vectorises over j).
void BM_RowUpdateF32Limit(benchmark::State& state) {
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> acc(kLimitLength, 0.0f), b(kLimitLength);
  for (float& v : b) v = value(rng);
  float a = 1e-3f;
  for (auto _ : state) {
    for (std::size_t j = 0; j < kLimitLength; ++j) acc[j] = acc[j] + a * b[j];
    benchmark::DoNotOptimize(acc.data());
    benchmark::ClobberMemory();
    a = -a;  // keeps acc bounded
  }
  set_ops(state, 2.0 * kLimitLength);
}
BENCHMARK(BM_RowUpdateF32Limit);

}  // namespace
