// Runs kernels on one thread so the worker's event loop keeps heartbeating while a long kernel
// runs. Completed jobs wake the event loop through an inproc socket.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "gpoc/common/statements.hpp"
#include "gpoc/host/worker.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::host {

struct Job {
  TaskId task_id{};
  TaskSpec spec;
  Bytes input;
  PublicKey pool_id{};
};

struct Done {
  TaskId task_id{};
  bool ok = false;
  std::string error;
  Bytes output;
  Digest32 digest{};
  Bytes statement;  // signed contribution statement
  Signature signature{};
};

class Executor {
 public:
  Executor(zmq::context_t& ctx, const std::string& wake_endpoint, kernels::Backend& backend,
           const SecretKey& key, ByzantineMode mode, std::int64_t delay_ms);
  ~Executor();
  void submit(Job job);
  // Runs a job on the calling thread. Backends are thread-safe; used for tiny jobs, where two
  // thread hand-offs would cost more than the kernel.
  Done run_inline(const Job& job) { return execute(job); }
  void cancel(const TaskId& id);  // drops the job if it has not started
  std::deque<Done> take_done();
  std::size_t queued() const;

 private:
  void loop(zmq::context_t& ctx, std::string wake_endpoint);
  Done execute(const Job& job);

  kernels::Backend& backend_;
  const SecretKey& key_;
  ByzantineMode mode_;
  std::int64_t delay_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::set<TaskId> cancelled_;
  std::deque<Done> done_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gpoc::host
