#include "worker_path.hpp"

#include <atomic>
#include <string>

#include <zmq.hpp>

#include "executor.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc::bench {

struct WorkerPath::Impl {
  zmq::context_t context;
  SecretKey key = SecretKey::generate();
  host::Job job;
  // Never woken: run_inline runs on the calling thread and posts nothing to the wake socket.
  host::Executor executor;
  host::Done last;

  static std::string wake_endpoint() {
    static std::atomic<int> next{0};
    return "inproc://gpoc-bench-worker-path-" + std::to_string(next++);
  }

  Impl(kernels::Backend& backend, host::Job j)
      : job(std::move(j)),
        executor(context, wake_endpoint(), backend, key, host::ByzantineMode::none, 0) {}
};

WorkerPath::WorkerPath(kernels::Backend& backend, std::string_view kernel_id, std::uint32_t version,
                       const kernels::Params& params, ByteView input) {
  host::Job job;
  job.task_id = sha256(as_bytes("gpoc bench worker path"));  // any 32 bytes: nothing checks it
  job.spec.kernel_id = std::string(kernel_id);
  job.spec.kernel_version = version;
  job.spec.input_bytes = input.size();
  job.spec.params = params;
  job.input.assign(input.begin(), input.end());
  job.pool_id = SecretKey::generate().public_key();
  impl_ = std::make_unique<Impl>(backend, std::move(job));
}

WorkerPath::~WorkerPath() = default;

Status WorkerPath::run() {
  impl_->last = impl_->executor.run_inline(impl_->job);
  if (!impl_->last.ok) return internal_error("the worker path failed: " + impl_->last.error);
  return ok_status();
}

bool WorkerPath::last_signature_verifies() const {
  return impl_->last.ok &&
         verify_signature(impl_->key.public_key(), impl_->last.statement, impl_->last.signature);
}

bool report_overhead(benchmark::State& state, const WorkerPath& worker, const OverheadSeconds& s) {
  if (!worker.last_signature_verifies()) {
    state.SkipWithError("the worker's contribution signature does not verify");
    return false;
  }
  const double n = static_cast<double>(state.iterations());
  const double kernel_ms = 1e3 * s.kernel / n;
  const double ratio = s.total / s.kernel;
  state.counters["kernel_ms"] = kernel_ms;
  state.counters["total_ms"] = 1e3 * s.total / n;
  state.counters["digest_ms"] = 1e3 * s.digest / n;
  state.counters["overhead_ratio"] = ratio;
  // The target applies only to tasks of 100 ms or more: say when the device ran it faster.
  state.counters["task_long_enough"] = kernel_ms >= kOverheadTaskMsMin ? 1 : 0;
  state.counters["target_met"] =
      kernel_ms >= kOverheadTaskMsMin && ratio <= kOverheadRatioMax ? 1 : 0;
  return true;
}

}  // namespace gpoc::bench
