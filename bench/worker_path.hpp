// One task through the worker's own code (host/src/executor.cpp, the path `gpoc worker` takes for
// every task): the backend validates and runs the kernel and digests the output where it lives (on
// the device for CUDA), then the contribution statement is built and signed with Ed25519. The
// verification-overhead benchmarks time it against the kernel alone. Compiles with g++ only, so
// the CUDA benchmarks include it without seeing ZeroMQ or the worker's headers.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <benchmark/benchmark.h>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::bench {

class WorkerPath {
 public:
  // A worker with a fresh key on `backend` (which must outlive it), holding one task to run.
  WorkerPath(kernels::Backend& backend, std::string_view kernel_id, std::uint32_t version,
             const kernels::Params& params, ByteView input);
  ~WorkerPath();
  WorkerPath(const WorkerPath&) = delete;
  WorkerPath& operator=(const WorkerPath&) = delete;

  // Runs the task as the worker does: kernel, digest, signed contribution. An error when the
  // worker would have reported a failure instead of a contribution.
  Status run();
  // Checks the last run's signature over its statement with the worker's public key.
  bool last_signature_verifies() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The target: (kernel + digest + signing) / kernel <= 1.05 for a task of 100 ms or more.
inline constexpr double kOverheadTaskMsMin = 100;
inline constexpr double kOverheadRatioMax = 1.05;

// Seconds summed over the timed iterations of a verification-overhead benchmark.
struct OverheadSeconds {
  double kernel = 0;  // the kernel alone
  double digest = 0;  // the result digest alone, for reference
  double total = 0;   // the worker's whole path
};
// Checks the worker's last signature and sets the counters both benchmarks report: kernel_ms,
// total_ms, digest_ms, overhead_ratio, task_long_enough and target_met. False, after
// SkipWithError, when the signature does not verify.
bool report_overhead(benchmark::State& state, const WorkerPath& worker, const OverheadSeconds& s);

}  // namespace gpoc::bench
