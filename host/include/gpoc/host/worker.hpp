// The worker service: one per GPU (or the CPU when there is none). It registers with a
// scheduler, heartbeats, runs assignments on its backend, digests outputs where they live, signs
// contributions, reveals and uploads on request, and reconnects when the scheduler goes away.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/transport/socket.hpp"

namespace gpoc::host {

// Deliberate misbehaviour, for tests and the demo only.
enum class ByzantineMode {
  none,
  wrong_output,  // corrupts its output before digesting it: a consistent vote for a wrong result
  copy_vote,  // votes the right hash with a seal it cannot make, as a worker copying a vote would
  no_reveal,  // contributes, then never reveals
  fail,       // reports every task as a kernel failure
  silent,     // accepts assignments and never answers them
};
Result<ByzantineMode> parse_byzantine_mode(std::string_view name);
std::string_view byzantine_mode_name(ByzantineMode m);

struct WorkerConfig {
  std::string scheduler_endpoint;
  std::filesystem::path key_file;
  // An operator's certificate for this worker's key (gpoc operator certify); empty: the worker
  // is its own operator.
  std::filesystem::path operator_cert_file;
  bool force_cpu = false;
  std::uint32_t slots = 16;  // assignments accepted at once (queued on the device)
  ByzantineMode byzantine = ByzantineMode::none;
  std::int64_t delay_ms = 0;  // test option: wait this long before running each task
  std::int64_t register_timeout_ms = 2000;
  std::size_t kept_results_max = 4096;  // outputs kept for reveal/upload, oldest dropped first
  std::uint64_t kept_result_bytes_max = 1ull << 30;
  transport::Limits limits;
};

struct WorkerStats {
  std::uint64_t executed = 0, failed = 0, contributions = 0, reveals = 0, uploads = 0,
                registrations = 0;
};

class Worker {
 public:
  // Loads or creates the key file (mode 0600), checks the operator certificate if one is given
  // (it must be for this key and its signature must verify), and picks the backend (CUDA if
  // present, else CPU).
  static Result<std::unique_ptr<Worker>> create(WorkerConfig config);
  ~Worker();

  // Runs until `stop` becomes true.
  Status run(const std::atomic<bool>& stop);

  const PublicKey& key() const;
  const std::string& backend_description() const;  // which backend and why
  WorkerStats stats() const;

  struct Impl;

 private:
  explicit Worker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpoc::host
