// The verifier's consensus engine: a pure state machine. Inputs are worker and requester events
// with the current time; outputs are actions (messages to send, tasks to commit or fail) drained
// by the caller. No I/O, no clock, no randomness: the scheduler and the simulator drive the same
// code, and the same inputs always give the same outputs.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/verifier/consensus.hpp"
#include "gpoc/verifier/records.hpp"

namespace gpoc::verifier {

// Numbers match the wire TaskState and ReplicaState enums.
enum class TaskPhase {
  pending = 2,
  running = 3,
  revealing = 4,
  uploading = 5,
  completed = 6,
  failed = 7
};
enum class ReplicaPhase {
  assigned = 1,
  contributed = 2,
  revealed = 3,
  failed = 4,
  lost = 5,
  rejected = 6
};
std::string_view task_phase_name(TaskPhase p);
std::string_view replica_phase_name(ReplicaPhase p);

struct PoolConfig {
  PublicKey pool_id{};
  // Prices, stakes and category times T: contributions by start + 7T, reveals within 2T of
  // consensus, final deadline start + 10T; a replica silent for T stops counting.
  Policy policy;
  std::int64_t heartbeat_interval_ms = 1000;
  std::uint32_t heartbeat_liveness = 3;
  std::size_t active_tasks_max = 100'000;
  std::uint32_t worker_slots_max = 256;
};

// ---- actions --------------------------------------------------------------------------------
struct AssignAction {
  PublicKey worker;
  TaskId task_id;
  std::int64_t deadline_ms;
};
struct RevealRequestAction {
  PublicKey worker;
  TaskId task_id;
  bool upload;
};
struct UploadRequestAction {
  PublicKey worker;
  TaskId task_id;
};
struct AbortAction {
  PublicKey worker;
  TaskId task_id;
  std::string reason;
};
// The output of a certifiable task is in and matches `digest`: run the kernel's certificate on it
// with fresh randomness, with enough rounds for 2^-bits <= 1/trust (trust_bits(trust) bits), and
// report the verdict with on_certificate.
struct CertifyAction {
  TaskId task_id;
  Digest32 digest;
  std::uint64_t trust;
};
// ---- read-only views for status queries ------------------------------------------------------
struct ReplicaView {
  PublicKey worker{};
  ReplicaPhase phase = ReplicaPhase::assigned;
  Digest32 result_hash{};
  std::uint64_t weight = 0;
  bool winner = false;
  std::string note;
  std::int64_t assigned_ms = 0;
  std::int64_t contributed_ms = 0;
};

struct TaskView {
  TaskId task_id{};
  TaskPhase phase = TaskPhase::pending;
  std::string kernel;
  std::uint64_t trust = 1;
  std::vector<ReplicaView> replicas;
  std::optional<Digest32> consensus_hash;
  std::optional<Digest32> digest;
  std::uint64_t output_bytes = 0;
  std::string reason;
  std::int64_t submitted_ms = 0, consensus_ms = 0, finished_ms = 0, final_deadline_ms = 0;
  std::uint64_t credibility_num = 0, credibility_den = 0;
  bool certifiable = false;  // uploaded results are checked by the kernel's certificate
  std::optional<CertificateRecord> certificate;  // the one that passed, once it has
};

// The task is finished: write `record` to the ledger (commit or fail) with the score changes.
// `view` is its last status, kept for queries after the engine has forgotten it.
struct FinishAction {
  TaskRecord record;  // its moves settle the task's escrow and the contributors' stakes
  std::vector<std::pair<PublicKey, std::uint64_t>> scores;
  TaskView view;
};
using Action = std::variant<AssignAction, RevealRequestAction, UploadRequestAction, AbortAction,
                            CertifyAction, FinishAction>;

struct WorkerView {
  PublicKey key{};
  PublicKey operator_key{};  // the worker's own key when no operator certified it
  std::string exec_class;
  std::uint64_t score = 0;
  bool alive = false;
  std::uint32_t running = 0;
  std::uint32_t slots = 0;
  std::int64_t last_seen_ms = 0;
  bool paused = false;       // alive but not dispatched to (an SLA's fast-burn alert fires)
  std::string pause_reason;  // why, while paused
};

// What the caller knows of an accepted task (validated, signature checked, durable).
struct NewTask {
  TaskId task_id{};
  Bytes spec_bytes;
  TaskSpec spec;
  Signature requester_signature{};
  std::uint64_t expected_output_bytes = 0;
  bool class_bound = false;  // determinism class `arch`: only replicas of one execution class agree
  std::int64_t submitted_ms = 0;
  std::string note;  // e.g. "resumed after scheduler restart"
  // Set for a task resumed from the ledger, whose escrow is already in place: these amounts, not
  // today's policy, settle it. Unset for a new task: the engine escrows at today's prices.
  std::optional<Escrow> escrow;
  // The caller runs the kernel's certificate on every uploaded result (CertifyAction) and
  // reports it (on_certificate); only a result that passed is committed. Without a quorum
  // (min_replicas <= 1) the task then gets one replica at a time, and a certificate with
  // 2^-bound_bits <= 1/trust decides it alone (docs/VERIFICATION.md, "Certificates").
  bool certifiable = false;
};

// What the caller found when it ran a certificate for a CertifyAction.
struct CertificateReport {
  TaskId task_id{};
  Digest32 digest{};  // the output it checked, as the CertifyAction named it
  bool ran = false;   // false: the check could not run (reason says why); nothing is judged
  bool passed = false;
  std::string method;
  std::uint32_t rounds = 0;
  std::uint32_t bound_bits = 0;  // floor(-log2 ε) of a pass
  Digest32 seed{};
  std::string reason;  // why it failed or could not run
};

class Engine {
 public:
  explicit Engine(PoolConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const PoolConfig& config() const { return config_; }

  // Workers. `kernels` lists "id@version" strings the worker runs. `operator_key` is the operator
  // that certified the worker (the caller checked the certificate), or the worker's own key: no
  // two replicas of one task go to workers of one operator.
  void set_score(const PublicKey& worker, std::uint64_t score);
  void worker_registered(const PublicKey& worker, const PublicKey& operator_key,
                         std::string exec_class, std::uint32_t slots, std::set<std::string> kernels,
                         std::int64_t now_ms);
  void worker_seen(const PublicKey& worker, std::int64_t now_ms);
  void worker_lost(const PublicKey& worker, std::int64_t now_ms, std::string_view why);
  bool worker_known(const PublicKey& worker) const;
  // A paused worker keeps its running replicas but gets no new ones until resumed (the scheduler
  // pauses a worker whose SLA error budget burns too fast). Unknown workers are remembered, so a
  // pause holds across a re-registration.
  void set_paused(const PublicKey& worker, bool paused, std::string reason = {});

  // Accounts, as the ledger holds them (at start-up), and the operator's mints.
  void restore_accounts(Accounts accounts) { accounts_ = std::move(accounts); }
  Status mint(const PublicKey& to, Amount amount);
  const Accounts& accounts() const { return accounts_; }
  // Moves made outside the task protocol (an SLA stake, withdrawal or settlement): all or nothing.
  // Fails when a move takes more than an account's free units not held for running replicas.
  Status transfer(const std::vector<Move>& moves);
  // Free balance minus the stakes held for the worker's running replicas.
  Amount available(const PublicKey& account) const;

  // Requesters. A new task escrows its price from the requester and the scheduler's stake from
  // the pool's account; the moves made are returned for the ledger (none for a resumed task).
  Result<std::vector<Move>> add_task(NewTask task, std::int64_t now_ms);
  bool has_task(const TaskId& id) const;
  // The spec bytes of an active task, as the requester signed them; nullptr if not active.
  const Bytes* task_spec_bytes(const TaskId& id) const;

  // Worker messages. Each returns ok, or an error the caller sends back to the worker.
  Status on_contribution(const PublicKey& sender, ByteView statement, const Signature& signature,
                         std::int64_t now_ms);
  Status on_reveal(const PublicKey& sender, const TaskId& task_id, const Digest32& digest,
                   std::int64_t now_ms);
  // The caller assembled the uploaded output and computed its digest.
  Status on_upload(const PublicKey& sender, const TaskId& task_id, const Digest32& output_digest,
                   std::uint64_t output_bytes, std::int64_t now_ms);
  Status on_task_failure(const PublicKey& sender, const TaskId& task_id, std::string_view reason,
                         std::int64_t now_ms);
  // The verdict on the output a CertifyAction asked about. A pass strong enough for the trust, or
  // a pass on a result the votes already agreed on, commits the task. A failure judges every
  // vote for that result as failed_certificate (slashed, score falls), refutes the result for
  // good and goes back to ordinary replication; so does a check that could not run, without
  // judging anyone.
  Status on_certificate(const CertificateReport& report, std::int64_t now_ms);

  // Deadlines, liveness and dispatch. Call it regularly; returns the next time it wants a call.
  std::int64_t tick(std::int64_t now_ms);

  // Drains the actions produced so far, in order.
  std::vector<Action> take_actions();
  bool has_actions() const { return !actions_.empty(); }

  std::optional<TaskView> task_view(const TaskId& id) const;
  std::vector<WorkerView> workers() const;
  std::size_t active_tasks() const;
  std::uint64_t score(const PublicKey& worker) const;
  // Who may upload the output of `task_id` now (the current uploader), if anyone.
  std::optional<PublicKey> uploader(const TaskId& task_id) const;
  // Whether a winner has revealed the agreed digest of `task_id`, so that an upload can be checked.
  bool digest_revealed(const TaskId& task_id) const;

 private:
  struct Task;
  struct Replica;
  struct Worker;

  Task* find_task(const TaskId& id);
  const Task* find_task(const TaskId& id) const;
  Worker& worker_entry(const PublicKey& key);
  std::int64_t category_time(const Task& t) const;
  void dispatch(std::int64_t now_ms);
  bool dispatch_one(Task& t, std::int64_t now_ms);
  Worker* pick_worker(const Task& t);
  bool needs_more(const Task& t, std::int64_t now_ms) const;
  void check_consensus(Task& t, std::int64_t now_ms);
  void try_finalize(Task& t, std::int64_t now_ms);
  void request_upload(Task& t, std::int64_t now_ms);
  void reopen(Task& t, std::int64_t now_ms);
  void withdraw_consensus(Task& t);
  void collect_again(Task& t, Tally kept);
  bool votes_reach_consensus(const Task& t) const;
  void finish(Task& t, bool completed, std::string reason, std::int64_t now_ms);
  void release_replica(Task& t, Replica& r, ReplicaPhase to, std::string note);
  void expire_replicas(Task& t, std::int64_t now_ms);
  void check_deadlines(Task& t, std::int64_t now_ms);
  void abort_assigned(Task& t, const std::string& reason);
  void unreserve(Replica& r, const Task& t);

  PoolConfig config_;
  std::map<TaskId, std::unique_ptr<Task>> tasks_;
  std::set<std::pair<std::uint64_t, TaskId>>
      dispatch_queue_;  // (arrival order, id) needing replicas
  std::map<PublicKey, Worker> workers_;
  std::map<PublicKey, std::uint64_t> scores_;
  Accounts accounts_;
  std::map<PublicKey, Amount> reserved_;     // stakes held for running replicas, by worker
  std::map<PublicKey, std::string> paused_;  // workers not dispatched to, with the reason
  std::deque<Action> actions_;
  std::uint64_t next_order_ = 0;
};

}  // namespace gpoc::verifier
