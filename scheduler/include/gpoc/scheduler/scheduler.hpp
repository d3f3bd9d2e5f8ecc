// The scheduler process: one per pool. It accepts signed tasks from requesters, dispatches
// replicas to workers, runs the verifier engine, keeps accepted tasks and results durable in the
// ledger, and answers status and result queries. One thread, one event loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gpoc/common/clock.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/transport/socket.hpp"

namespace gpoc::scheduler {

struct SchedulerConfig {
  std::filesystem::path data_dir;
  std::string client_endpoint = "tcp://127.0.0.1:7600";
  std::string worker_endpoint = "tcp://127.0.0.1:7601";
  Policy policy;  // prices, stakes, categories; recorded in the ledger when it changes
  std::int64_t heartbeat_interval_ms = 1000;
  std::uint32_t heartbeat_liveness = 3;
  std::uint64_t input_bytes_max = 64u << 20;
  std::size_t receiving_tasks_max = 64;  // submissions whose input is still arriving in chunks
  std::int64_t receiving_timeout_ms = 60'000;  // ...dropped when their chunks stop for this long
  std::filesystem::path ready_file;            // written (JSON) once both endpoints are bound
  // A batch holding only acceptances waits up to this long for a task's final record to share its
  // fsync (the acceptance replies wait with it). 0 by default: since the fsync runs beside the
  // next batch's write, batches group themselves, and waiting only delays (docs/BENCHMARKS.md).
  std::int64_t commit_delay_ms = 0;
  // Run a kernel's certificate on each uploaded result of a task whose kernel has one (and is
  // `exact`), and let a pass count toward the task's trust: such tasks start with one replica.
  bool certify = true;
  transport::Limits limits;
};

struct SchedulerStats {
  std::uint64_t accepted = 0, completed = 0, failed = 0, rejected_submissions = 0;
  std::uint64_t ledger_batches = 0;
  std::uint64_t certified = 0, certificate_failures = 0;  // certificates passed / failed
};

class Scheduler {
 public:
  // Opens the ledger (data_dir/ledger.db), loads or creates the pool key (data_dir/scheduler.key),
  // resumes unfinished tasks and binds both endpoints.
  static Result<std::unique_ptr<Scheduler>> create(SchedulerConfig config,
                                                   const Clock& clock = SystemClock::instance());
  ~Scheduler();

  // Runs until `stop` becomes true. Returns an error only when the ledger cannot be written:
  // a scheduler that cannot make results durable must stop rather than acknowledge them.
  Status run(const std::atomic<bool>& stop);

  const std::string& client_endpoint() const;
  const std::string& worker_endpoint() const;
  const PublicKey& pool_id() const;
  SchedulerStats stats() const;

  struct Impl;

 private:
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpoc::scheduler
