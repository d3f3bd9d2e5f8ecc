// Deterministic simulation of a whole pool in one process: the production scheduler (SimHost:
// its handlers, engine, ledger and restart path), hundreds of simulated workers, requesters and
// the pool operator, on a simulated clock and network. Everything random comes from one seed, so
// a run replays exactly; invariants are checked after every step and the first violation ends
// the run with the seed that reproduces it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc::sim {

// What a byzantine worker does. Honest workers compute the kernel and follow the protocol.
enum class Strategy {
  honest,
  wrong,        // votes a random wrong result of its own
  collude,      // votes the wrong result its whole group agreed on
  copy,         // copies another worker's vote (hash and seal) without computing
  no_reveal,    // votes honestly, never reveals
  late_reveal,  // votes honestly, reveals after the reveal deadline
  replay,       // replays signatures from other tasks and from registration, then votes honestly
  flood,        // votes honestly and floods the scheduler with malformed messages
};
std::string_view strategy_name(Strategy s);
bool parse_strategy(std::string_view name, Strategy* out);

struct Faults {
  double loss = 0;       // probability a message is dropped
  double duplicate = 0;  // probability a message is delivered twice
  double slow = 0;       // probability a message takes slow_ms extra (reorders it)
  std::int64_t delay_min_ms = 1, delay_mean_ms = 4, slow_ms = 2'000;
  int worker_crashes = 0;     // crash-and-restart events spread over the run
  int scheduler_crashes = 0;  // ... of the scheduler, restarting from its ledger
};

struct Config {
  std::uint64_t seed = 1;
  int workers = 200;
  std::uint32_t slots = 2;
  double byzantine = 0;  // fraction f of workers that are byzantine
  // Strategies given to byzantine workers in turn; `collude` workers form one group.
  std::vector<Strategy> strategies = {Strategy::wrong};
  // The colluding group registers under one operator key: the scheduler then never gives two of
  // them replicas of one task (what an honest farm's operator certificate buys).
  bool colluders_one_operator = false;
  std::vector<std::uint64_t> trusts = {3};  // requested trust, per task in turn
  // The tasks' kernel: sha256 (no certificate, so replication decides) or sort_u32 (the
  // scheduler certifies every result: one replica per task, refuted outputs).
  std::string kernel = "sha256";
  int tasks = 60;
  std::int64_t submit_interval_ms = 400;
  std::int64_t category_ms = 10'000;  // T: contributions by 7T, reveals 2T, final 10T
  std::uint64_t price = 1'000;
  Faults faults;
  std::filesystem::path dir;  // the scheduler's data directory (made fresh; removed after)
  bool check_ledger_every_commit = true;
  std::int64_t sim_ms_max = 3'600'000;  // gives up (a violation) if the pool does not drain
  std::filesystem::path trace_file;     // when set, one line per event, for diffing two runs
};

struct TrustStats {
  std::uint64_t tasks = 0, committed = 0, committed_wrong = 0, failed = 0;
  std::uint64_t contributions = 0;  // votes recorded in the final entries
  std::int64_t consensus_ms_sum = 0;
};

struct Report {
  std::uint64_t seed = 0;
  std::uint64_t events = 0, messages = 0, dropped = 0, duplicated = 0;
  std::int64_t sim_ms = 0;
  std::uint64_t accepted = 0, committed = 0, failed = 0, committed_wrong = 0;
  std::uint64_t scheduler_restarts = 0, worker_restarts = 0, ledger_entries = 0;
  std::uint64_t refused = 0;  // error replies the scheduler sent to workers
  std::map<std::uint64_t, TrustStats> by_trust;
  std::map<std::string, std::uint64_t> failure_reasons;  // task.fail reasons, counted
  std::vector<std::string> violations;                   // empty when every invariant held
  Digest32 trace{};  // hash of every event: equal for equal seeds
  double wall_s = 0;
};

Report run(const Config& config);

// Named configurations shared by the CI tests and the soak command (`gpoc-sim --scenario`):
//   honest   no byzantine workers; loss, duplication, delay, worker and scheduler crashes
//   wrong    30% return random wrong results, trust 3 and 10: no wrong result may commit
//   collude  30% vote one agreed wrong result; trust 2, 3 and 100
//   mixed    30% byzantine with every strategy in turn, with faults and crashes
//   chaos    mixed, with heavier loss and more crashes
std::vector<std::string> scenario_names();
bool scenario(std::string_view name, std::uint64_t seed, Config* out);

// A fresh directory for one run's ledger: in memory (/dev/shm) where the system has it, since
// the run's durability is simulated; otherwise under the temporary directory.
std::filesystem::path scratch_dir(std::string_view tag);

}  // namespace gpoc::sim
