// Private state of the scheduler, shared by its source files.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "commit_writer.hpp"
#include "gpoc/ledger/ledger.hpp"
#include "gpoc/proto/gpoc.pb.h"
#include "gpoc/scheduler/scheduler.hpp"
#include "gpoc/sla/book.hpp"
#include "gpoc/transport/chunks.hpp"
#include "gpoc/transport/envelope.hpp"
#include "gpoc/transport/socket.hpp"
#include "gpoc/verifier/engine.hpp"
#include "sla_monitor.hpp"

namespace gpoc::scheduler {

enum class Side { clients, workers };

struct WorkerSession {
  PublicKey key{};
  Digest32 challenge{};
  bool challenged = false;
  bool registered = false;
};

// A submission whose input is still arriving in chunks.
struct Receiving {
  TaskId task_id{};
  TaskSpec spec;
  Bytes spec_bytes;
  Signature signature{};
  std::string peer;
  std::uint64_t reply_to = 0;
  bool notify = false;
  std::int64_t started_ms = 0;
  std::unique_ptr<transport::ChunkAssembler> input;
};

struct Upload {
  PublicKey worker{};
  std::unique_ptr<transport::ChunkAssembler> output;
};

// A whole output that arrived before any reveal of its task, kept until one does.
struct EarlyOutput {
  PublicKey worker{};
  std::string peer;
  std::uint64_t message_id = 0;
  Bytes output;
};

struct Outgoing {
  Side side;
  std::string peer;
  wire::Envelope env;
};

struct Scheduler::Impl {
  Impl(SchedulerConfig c, const Clock& k, transport::Limits limits)
      : cfg(std::move(c)), clock(k), clients(ctx, limits), workers(ctx, limits) {}
  ~Impl();
  // Everything create() does short of binding: lock, ledger, key, engine, resumed tasks, policy.
  // `threaded` starts the commit writer's thread; without it batches wait for run_pending().
  static Result<std::unique_ptr<Impl>> open(SchedulerConfig config, const Clock& clock,
                                            bool threaded);
  Status lock_data_dir();
  int lock_fd = -1;  // flock on data_dir/scheduler.lock, held for the process's life

  SchedulerConfig cfg;
  const Clock& clock;
  std::unique_ptr<ledger::Ledger> ledger;  // written only by `writer` once the loop runs
  std::unique_ptr<ledger::Ledger> reader;  // the loop's own read connection
  std::uint64_t next_seq = 1;              // seq the next appended entry will get
  SecretKey pool_key;
  std::unique_ptr<verifier::Engine> engine;
  transport::Context ctx;
  transport::RouterSocket clients;
  transport::RouterSocket workers;
  std::string client_ep, worker_ep;
  // Declared after the ledger and the context so it is destroyed (joined) before them.
  zmq::socket_t writer_wake{ctx.raw(), zmq::socket_type::pair};
  std::unique_ptr<CommitWriter<Outgoing>> writer;

  std::unordered_map<std::string, WorkerSession> sessions;  // by worker routing id
  std::map<PublicKey, std::string> peer_of;                 // registered worker -> routing id
  std::map<TaskId, Bytes> inputs;                           // inputs of active tasks
  std::map<TaskId, Receiving> receiving;
  std::map<TaskId, Upload> uploads;
  std::map<TaskId, EarlyOutput> early_outputs;
  std::map<TaskId, Bytes> outputs;  // verified outputs awaiting commit
  std::map<TaskId, std::vector<std::pair<std::string, std::uint64_t>>> watchers;
  std::optional<std::pair<TaskId, Bytes>> result_cache;  // last result served in chunks

  ledger::Batch batch;
  std::vector<Outgoing> after_commit;  // replies that promise durability wait for the commit
  std::vector<TaskId> batch_finished;  // tasks whose final record is in `batch`
  std::int64_t batch_since_ms = -1;    // when the first write or reply went into `batch`
  std::map<TaskId, wire::TaskStatus> finalizing;  // finished, record not yet durable
  SchedulerStats stats;

  // Set by the simulator: outgoing messages go here instead of the sockets.
  std::function<Status(Side, const std::string&, wire::Envelope)> outbox;

  std::int64_t now() const { return clock.now_ms(); }
  void handle(Side side, transport::Incoming& in);  // one message, then its actions
  std::int64_t turn(std::int64_t now_ms);           // tick, expiries, actions; next tick time
  void send(Side side, const std::string& peer, wire::Envelope env);
  void send_error(Side side, const std::string& peer, std::uint64_t reply_to, wire::ErrorCode code,
                  std::string message, ByteView task_id = {});

  // worker side (worker_handlers.cpp)
  void on_worker_message(transport::Incoming& in);
  void on_hello(const std::string& peer, const wire::Envelope& env);
  void on_register(const std::string& peer, const wire::Envelope& env);
  void on_output_chunk(const PublicKey& worker, const std::string& peer, const wire::Envelope& env);
  void accept_output(const PublicKey& worker, const std::string& peer, std::uint64_t message_id,
                     const TaskId& id, Bytes output);
  void on_input_request(const std::string& peer, const wire::Envelope& env);
  void refuse_if_error(const std::string& peer, std::uint64_t reply_to, const Status& s,
                       ByteView task_id);

  // accounts (accounts.cpp)
  void on_mint(const std::string& peer, const wire::Envelope& env);
  void on_account(const std::string& peer, const wire::Envelope& env);
  void write_balances(const std::vector<Move>& moves);  // after the entry that made them
  Status record_policy();
  std::set<Digest32> pending_mints;   // mint statement hashes in `batch`
  std::set<Digest32> inflight_mints;  // ... in the batch the writer is writing (until then the
                                      // reader cannot see them)

  // SLAs (sla.cpp)
  Status load_slas();
  Status reload_task_observations();
  void note_sla_entry(std::string_view kind, ByteView body, std::uint64_t seq);
  Status commit_sla_entry(std::string_view kind, const Bytes& body, const Digest32& subject);
  void on_sla_order(const std::string& peer, const wire::Envelope& env);
  void on_sla_query(const std::string& peer, const wire::Envelope& env);
  void reply_sla(const std::string& peer, std::uint64_t reply_to, const sla::SlaId& id,
                 bool durable);
  void fill_sla_info(const sla::SlaState& s, const std::optional<PublicKey>& holder,
                     wire::SlaInfo& info);
  void sla_turn(std::int64_t now_ms);
  std::unique_ptr<sla::Book> sla_book;
  std::unique_ptr<SlaMonitor> sla_monitor;
  std::set<Digest32> sla_orders_done;  // stake/withdraw statement hashes applied
  std::map<std::pair<sla::SlaId, std::uint32_t>, std::uint64_t> sla_settle_seq;
  std::map<PublicKey, std::string> paused_workers;  // by a fast-burn alert, with the reason
  std::int64_t next_sla_turn_ms = 0;

  // client side (client_handlers.cpp)
  void on_client_message(transport::Incoming& in);
  void on_submit(const std::string& peer, const wire::Envelope& env);
  void on_submit_chunk(const std::string& peer, const wire::Envelope& env);
  void accept(Receiving& r, Bytes input);
  void on_status(const std::string& peer, const wire::Envelope& env);
  void on_result(const std::string& peer, const wire::Envelope& env);
  std::optional<wire::TaskStatus> status_of(const TaskId& id);
  std::optional<wire::TaskState> known_state(const TaskId& id);
  void expire_receiving(std::int64_t now_ms);

  // certificates (certify.cpp): runs one for the engine and reports the verdict to it
  void certify(const verifier::CertifyAction& c);

  // engine actions and durability (scheduler.cpp)
  Status resume_unfinished();
  void apply_actions();
  void on_finish(verifier::FinishAction& f);
  Status flush();                     // hands the batch to the writer when it is free and due
  std::int64_t flush_due_ms() const;  // when a waiting batch must go, or -1
  Status collect_commit();            // sends the replies of a committed batch
  Status drain();                     // at shutdown: commits everything still pending
};

wire::TaskStatus to_wire_status(const verifier::TaskView& v);
// The task's kernel is `exact` and has a certificate check (certify.cpp).
bool certifiable(const TaskSpec& spec);
std::optional<TaskId> task_id_from(const std::string& bytes);

}  // namespace gpoc::scheduler
