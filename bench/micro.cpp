// Micro-benchmarks (Google Benchmark, JSON with --benchmark_out=FILE --benchmark_out_format=json).
// Each figure has its limit measured in the same run: the digest against raw OpenSSL SHA-256 over
// the same bytes, the engine's task lifecycle against the Ed25519 verifications it must do, the
// CPU kernels against OpenSSL and std::sort.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "gpoc/verifier/engine.hpp"

namespace {

using namespace gpoc;

Bytes random_bytes(std::size_t n) {
  std::mt19937_64 rng(42);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

void BM_Ed25519Sign(benchmark::State& state) {
  SecretKey k = SecretKey::generate();
  Bytes msg = random_bytes(245);  // a contribution statement's size
  for (auto _ : state) benchmark::DoNotOptimize(k.sign(msg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  SecretKey k = SecretKey::generate();
  Bytes msg = random_bytes(245);
  Signature sig = k.sign(msg);
  for (auto _ : state) benchmark::DoNotOptimize(verify_signature(k.public_key(), msg, sig));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify);

// The limit for the digest: one pass of SHA-256 over the same bytes.
void BM_Sha256Raw(benchmark::State& state) {
  Bytes data = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(sha256(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256Raw)->Arg(1 << 20)->Arg(16 << 20);

void BM_ResultDigestCpu(benchmark::State& state) {
  Bytes data = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(result_digest(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ResultDigestCpu)->Arg(1 << 20)->Arg(16 << 20);

void BM_KernelSha256Cpu(benchmark::State& state) {
  auto cpu = kernels::make_cpu_backend();
  Bytes input = random_bytes(64 * static_cast<std::size_t>(state.range(0)));
  kernels::Params p = {{"record_bytes", "64"}};
  for (auto _ : state) benchmark::DoNotOptimize(cpu->run("sha256", 1, p, input));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KernelSha256Cpu)->Arg(1 << 16);

// The limit for sha256 records: OpenSSL hashing the same records one by one, no digest after.
void BM_OpensslRecords(benchmark::State& state) {
  Bytes input = random_bytes(64 * static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    for (std::int64_t i = 0; i < state.range(0); ++i) {
      benchmark::DoNotOptimize(
          sha256(ByteView(input).subspan(static_cast<std::size_t>(i) * 64, 64)));
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OpensslRecords)->Arg(1 << 16);

void BM_KernelSortU32Cpu(benchmark::State& state) {
  auto cpu = kernels::make_cpu_backend();
  Bytes input = random_bytes(4 * static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(cpu->run("sort_u32", 1, {}, input));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KernelSortU32Cpu)->Arg(1 << 20);

void BM_StdSort(benchmark::State& state) {
  Bytes input = random_bytes(4 * static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint32_t> v(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::memcpy(v.data(), input.data(), input.size());
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StdSort)->Arg(1 << 20);

// One task through the pure engine: three workers, signed contributions checked, reveals, upload.
// Four Ed25519 verifications happen per task (three contributions here; the requester's is checked
// by the scheduler before the engine), so BM_Ed25519Verify / 3 bounds it.
void BM_EngineTaskLifecycle(benchmark::State& state) {
  SecretKey pool = SecretKey::generate();
  std::vector<SecretKey> keys;
  verifier::PoolConfig cfg;
  cfg.pool_id = pool.public_key();
  verifier::Engine engine(cfg);
  for (int i = 0; i < 3; ++i) {
    keys.push_back(SecretKey::generate());
    const PublicKey& k = keys.back().public_key();
    engine.worker_registered(k, k, "cpu", 1024, {"sha256@1"}, 0);
  }
  Digest32 digest = sha256(as_bytes("output"));
  std::uint64_t nonce = 0;
  std::int64_t now = 1;
  for (auto _ : state) {
    state.PauseTiming();
    TaskSpec s;
    s.kernel_id = "sha256";
    s.trust = 5;
    s.min_replicas = 3;
    s.requester_nonce = ++nonce;
    verifier::NewTask t;
    t.spec_bytes = *encode_task_spec(s);
    t.task_id = task_id_of(t.spec_bytes);
    t.spec = s;
    t.submitted_ms = now;
    std::vector<std::pair<Bytes, Signature>> votes;
    for (auto& k : keys) {
      ContributionStatement c{pool.public_key(),
                              t.task_id,
                              k.public_key(),
                              result_hash(t.task_id, digest),
                              result_seal(k.public_key(), t.task_id, digest),
                              6,
                              "cpu"};
      Bytes st = encode_contribution(c);
      votes.emplace_back(st, k.sign(st));
    }
    TaskId id = t.task_id;
    state.ResumeTiming();
    (void)engine.add_task(std::move(t), now);
    engine.tick(now);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      (void)engine.on_contribution(keys[i].public_key(), votes[i].first, votes[i].second, now);
    }
    for (auto& k : keys) (void)engine.on_reveal(k.public_key(), id, digest, now);
    (void)engine.on_upload(*engine.uploader(id), id, digest, 6, now);
    benchmark::DoNotOptimize(engine.take_actions());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineTaskLifecycle);

}  // namespace

BENCHMARK_MAIN();
