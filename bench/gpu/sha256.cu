// sha256 records and the result digest on the device. Limits: hashcat's SHA-256 rate on an H100
// SXM (16.2 G compressions/s, a published figure: docs/BENCHMARKS.md) for the record hash, and
// BM_DeviceCopy's bandwidth, measured in the same run, for the digest.
#include "cuda/launchers.cuh"
#include "gpu_bench.cuh"
#include "sha256_body.hpp"

namespace gpoc::bench {
namespace {

// Compressions per record: the record's whole blocks plus the padding block(s).
std::uint64_t compressions_per_record(std::uint64_t record_bytes) {
  return (record_bytes + 8) / kernels::detail::kSha256BlockBytes + 1;
}

void BM_Sha256Records(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto record_bytes = static_cast<std::uint64_t>(state.range(0));
  const auto records = static_cast<std::uint64_t>(state.range(1));
  DeviceBytes input(record_bytes * records), output(32 * records);
  input.fill_random(2);
  EventTimer timer;
  for (auto _ : state) {
    timer.start(nullptr);
    const Status s = kernels::detail::launch_sha256_records(input.as(), record_bytes, records,
                                                            output.as(), nullptr);
    if (!s.ok()) {
      state.SkipWithError(s.to_string().c_str());
      break;
    }
    timer.stop(nullptr, state);
  }
  const double compressions = double(records) * double(compressions_per_record(record_bytes));
  state.counters["compressions_per_s"] =
      benchmark::Counter(compressions, benchmark::Counter::kIsIterationInvariantRate);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * records * record_bytes));
}
BENCHMARK(BM_Sha256Records)
    ->Args({64, std::int64_t{1} << 24})
    ->Args({32, std::int64_t{1} << 24})
    ->Args({4096, std::int64_t{1} << 16})
    ->Args({65536, std::int64_t{1} << 12})
    ->UseManualTime()
    ->MinWarmUpTime(0.2);

// The result digest of bytes already on the device, as the CUDA backend calls it after a kernel
// (its scratch allocation included).
void BM_DeviceDigest(benchmark::State& state) {
  if (!have_device(state)) return;
  const auto bytes = static_cast<std::uint64_t>(state.range(0));
  DeviceBytes data(bytes);
  data.fill_random(3);
  EventTimer timer;
  for (auto _ : state) {
    timer.start(nullptr);
    Result<Digest32> d = kernels::detail::device_result_digest(data.as(), bytes, nullptr);
    if (!d.ok()) {
      state.SkipWithError(d.status().to_string().c_str());
      break;
    }
    timer.stop(nullptr, state);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_DeviceDigest)
    ->Arg(std::int64_t{256} << 20)
    ->Arg(std::int64_t{1} << 30)
    ->UseManualTime()
    ->MinWarmUpTime(0.2);

}  // namespace
}  // namespace gpoc::bench
