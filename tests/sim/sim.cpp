#include "sim.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <set>

#include <google/protobuf/stubs/logging.h>  // protobuf's SetLogHandler
#include "gpoc/common/clock.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "gpoc/ledger/ledger.hpp"
#include "gpoc/proto/gpoc.pb.h"
#include "gpoc/scheduler/sim_host.hpp"
#include "gpoc/transport/chunks.hpp"
#include "gpoc/transport/envelope.hpp"
#include "gpoc/verifier/engine.hpp"
#include "gpoc/verifier/records.hpp"
#include "gpoc/verifier/replay.hpp"

namespace gpoc::sim {

std::string_view strategy_name(Strategy s) {
  switch (s) {
    case Strategy::honest: return "honest";
    case Strategy::wrong: return "wrong";
    case Strategy::collude: return "collude";
    case Strategy::copy: return "copy";
    case Strategy::no_reveal: return "no-reveal";
    case Strategy::late_reveal: return "late-reveal";
    case Strategy::replay: return "replay";
    case Strategy::flood: return "flood";
  }
  return "?";
}

bool parse_strategy(std::string_view name, Strategy* out) {
  for (Strategy s :
       {Strategy::honest, Strategy::wrong, Strategy::collude, Strategy::copy, Strategy::no_reveal,
        Strategy::late_reveal, Strategy::replay, Strategy::flood}) {
    if (strategy_name(s) == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

namespace {

// ---- randomness -------------------------------------------------------------------------------

// xoshiro256** seeded through splitmix64: fast, and the same sequence on every platform (the
// standard library's distributions are not), so a seed replays anywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix(seed);
  }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return p > 0 && uniform() < p; }
  std::int64_t between(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  std::int64_t exponential(double mean) {
    return static_cast<std::int64_t>(-std::log(1.0 - uniform()) * mean);
  }
  static std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// libsodium's random bytes (the scheduler's challenges, the pool key) come from the seed too.
std::uint64_t g_sodium_state = 0;
const char* sim_rb_name() { return "gpoc-sim"; }
std::uint32_t sim_rb_random() { return static_cast<std::uint32_t>(Rng::splitmix(g_sodium_state)); }
void sim_rb_stir() {}
void sim_rb_buf(void* const buf, const size_t size) {
  auto* p = static_cast<std::uint8_t*>(buf);
  for (std::size_t i = 0; i < size; i += 8) {
    std::uint64_t v = Rng::splitmix(g_sodium_state);
    for (std::size_t j = 0; j < 8 && i + j < size; ++j)
      p[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
}
int sim_rb_close() { return 0; }
randombytes_implementation g_sim_randombytes = {sim_rb_name, sim_rb_random, sim_rb_stir,
                                                nullptr,     sim_rb_buf,    sim_rb_close};

struct SeededSodium {
  explicit SeededSodium(std::uint64_t seed) {
    // Initialised first: sodium_init draws random bytes once (its guard-page canary), and that
    // draw must not land inside one run and not the next.
    if (sodium_init() < 0) std::abort();
    g_sodium_state = seed ^ 0x5eed5eed5eed5eedull;
    randombytes_set_implementation(&g_sim_randombytes);
  }
  ~SeededSodium() { randombytes_set_implementation(&randombytes_sysrandom_implementation); }
};

// ---- the simulation ---------------------------------------------------------------------------

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kHeartbeatMs = 1'000;
constexpr std::int64_t kDeadlineSlackMs = 3'000;  // tick, batch and commit latency after a deadline
constexpr std::string_view kExecClass = "sim-cpu";
constexpr std::uint64_t kInputBytes = 256;  // four sha256 records, or 64 sort_u32 values

struct WTask {
  TaskSpec spec;
  Bytes output;
  Digest32 digest{};  // of the output this worker will claim
  bool contributed = false;
};

struct Worker {
  int idx = 0;
  SecretKey key;
  PublicKey pub{};
  Strategy strategy = Strategy::honest;
  double speed = 1;
  bool up = true;
  bool registered = false;
  int incarnation = 0;
  std::string peer;
  std::int64_t hello_ms = -1;
  std::uint64_t next_id = 1;
  std::map<TaskId, WTask> tasks;
  // For the replay strategy: signed bytes from other tasks and from registration.
  std::optional<std::pair<Bytes, Signature>> old_contribution, old_register;
};

struct Truth {
  Digest32 digest{};  // the honest result
  Bytes output;
  std::uint64_t trust = 1;
};

struct AcceptedTask {
  std::int64_t final_deadline_ms = 0;
  bool final = false;
};

class Simulation {
 public:
  explicit Simulation(const Config& cfg)
      : cfg_(cfg), rng_(cfg.seed), clock_(kStartMs), backend_(kernels::make_cpu_backend()) {
    crypto_hash_sha256_init(&trace_);
    report_.seed = cfg.seed;
  }

  Report run();

 private:
  // events
  void at(std::int64_t t, std::function<void()> fn) {
    queue_.push(Event{t, next_seq_++, std::move(fn)});
  }
  void trace(std::string_view what, std::string_view peer, ByteView frame = {}) {
    std::int64_t t = clock_.now_ms();
    crypto_hash_sha256_update(&trace_, reinterpret_cast<const unsigned char*>(&t), sizeof t);
    crypto_hash_sha256_update(&trace_, reinterpret_cast<const unsigned char*>(what.data()),
                              what.size());
    crypto_hash_sha256_update(&trace_, reinterpret_cast<const unsigned char*>(peer.data()),
                              peer.size());
    if (!frame.empty()) crypto_hash_sha256_update(&trace_, frame.data(), frame.size());
    if (trace_out_) {
      std::fprintf(trace_out_, "%lld %.*s %.*s %s\n", static_cast<long long>(t - kStartMs),
                   static_cast<int>(what.size()), what.data(), static_cast<int>(peer.size()),
                   peer.data(), frame.empty() ? "-" : to_hex(sha256(frame)).substr(0, 16).c_str());
    }
  }
  void violation(std::string what) {
    if (report_.violations.size() < 20) {
      report_.violations.push_back("t=+" + std::to_string(clock_.now_ms() - kStartMs) +
                                   "ms: " + std::move(what));
    }
  }

  // network
  void transmit(std::function<void(std::int64_t)> deliver);
  void to_scheduler(bool from_worker, const std::string& peer, Bytes frame);
  void from_scheduler(bool to_worker, const std::string& peer, Bytes frame);

  // scheduler
  void scheduler_open();
  void scheduler_crash();
  void scheduler_activity();
  void scheduler_wake(std::int64_t t);

  // workers
  void worker_send(Worker& w, wire::Envelope env);
  void worker_hello(Worker& w);
  void worker_receive(Worker& w, const wire::Envelope& env);
  void worker_heartbeat(int idx, int incarnation);
  void worker_computed(int idx, int incarnation, TaskId id);
  void worker_reveal(Worker& w, const TaskId& id, bool upload);
  void worker_upload(Worker& w, const TaskId& id);
  void worker_flood(int idx, int incarnation);
  void worker_crash(int idx);
  void worker_restart(int idx);
  void worker_start(int idx);

  // requester and operator
  void submit(int n, int attempt);
  void mint(const PublicKey& account, Amount amount, std::uint64_t nonce);
  void client_receive(const std::string& peer, const wire::Envelope& env);

  // invariants
  void check_step();
  void audit_ledger();
  void check_record(const verifier::TaskRecord& r, bool completed);
  void check_deadlines();
  std::int64_t finish_by(std::int64_t final_deadline_ms) const;
  bool drained() const;

  struct Event {
    std::int64_t t;
    std::uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }
  };

  Config cfg_;
  Rng rng_;
  ManualClock clock_;
  std::unique_ptr<kernels::Backend> backend_;
  crypto_hash_sha256_state trace_;
  std::FILE* trace_out_ = nullptr;
  Report report_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::uint64_t next_seq_ = 0;

  // scheduler
  std::unique_ptr<scheduler::SimHost> host_;
  PublicKey pool_id_{};
  SecretKey pool_key_;  // a copy of the pool's key: the operator signs mints with it
  int epoch_ = 0;       // bumped at each crash: events of a dead scheduler do nothing
  bool commit_scheduled_ = false;
  std::int64_t wake_at_ = INT64_MAX;
  std::vector<std::pair<std::int64_t, std::int64_t>> downtime_;  // [crash, restart]

  std::vector<Worker> workers_;
  std::map<std::string, int> worker_by_peer_;
  std::set<PublicKey> byzantine_;
  std::map<PublicKey, Strategy> strategy_of_;
  // Votes and reveals seen on the wire, by task: what a copier copies.
  std::map<TaskId, std::pair<Digest32, Digest32>> first_vote_;  // result_hash, seal
  std::map<TaskId, Digest32> first_reveal_;

  // requester and operator
  SecretKey requester_;
  SecretKey collude_operator_;
  std::map<TaskId, Truth> truth_;
  std::vector<std::pair<Bytes, Signature>> specs_;  // submission n: spec bytes and signature
  std::set<int> submitted_;                         // submissions the scheduler answered
  std::map<std::uint64_t, int> submit_of_msg_;
  std::set<std::uint64_t> mint_nonces_done_;
  std::map<std::uint64_t, std::uint64_t> mint_of_msg_;
  std::uint64_t next_client_msg_ = 1;
  int mints_pending_ = 0;
  Amount minted_total_ = 0;
  bool submissions_done_ = false;

  // the model: the ledger replayed entry by entry
  std::unique_ptr<ledger::Ledger> reader_;
  std::unique_ptr<verifier::Replay> replay_;
  std::uint64_t audited_ = 0;
  std::map<TaskId, AcceptedTask> accepted_;
  std::set<TaskId> finalized_;
};

// ---- network ------------------------------------------------------------------------------------

// One message on the simulated network: it may be lost, delayed (reordering it behind later
// ones) or delivered twice.
void Simulation::transmit(std::function<void(std::int64_t)> deliver) {
  ++report_.messages;
  const Faults& f = cfg_.faults;
  if (rng_.chance(f.loss)) {
    ++report_.dropped;
    return;
  }
  int copies = rng_.chance(f.duplicate) ? 2 : 1;
  if (copies == 2) ++report_.duplicated;
  for (int i = 0; i < copies; ++i) {
    std::int64_t delay = f.delay_min_ms + rng_.exponential(static_cast<double>(f.delay_mean_ms));
    if (rng_.chance(f.slow)) delay += f.slow_ms;
    std::int64_t t = clock_.now_ms() + delay;
    at(t, [deliver, t] { deliver(t); });
  }
}

void Simulation::to_scheduler(bool from_worker, const std::string& peer, Bytes frame) {
  auto shared = std::make_shared<Bytes>(std::move(frame));
  int epoch = epoch_;
  transmit([this, from_worker, peer, shared, epoch](std::int64_t) {
    // A scheduler that crashed after this was sent never reads it (its connection died).
    if (!host_ || epoch != epoch_) return;
    trace(from_worker ? "to-sched-w" : "to-sched-c", peer, *shared);
    host_->deliver(from_worker, peer, *shared);
    scheduler_activity();
  });
}

void Simulation::from_scheduler(bool to_worker, const std::string& peer, Bytes frame) {
  auto env = transport::decode(frame, 64u << 20);
  if (!env.ok()) {
    violation("the scheduler sent a frame that does not decode: " + env.status().message());
    return;
  }
  if (to_worker && env->body_case() == wire::Envelope::kError) ++report_.refused;
  auto shared = std::make_shared<wire::Envelope>(std::move(*env));
  transmit([this, to_worker, peer, shared](std::int64_t) {
    trace(to_worker ? "to-worker" : "to-client", peer);
    if (!to_worker) return client_receive(peer, *shared);
    auto it = worker_by_peer_.find(peer);
    if (it == worker_by_peer_.end()) return;  // that connection is gone
    Worker& w = workers_[it->second];
    if (w.up && w.peer == peer) worker_receive(w, *shared);
  });
}

// ---- scheduler ----------------------------------------------------------------------------------

void Simulation::scheduler_open() {
  scheduler::SchedulerConfig sc;
  sc.data_dir = cfg_.dir;
  sc.policy.category_time_ms = {cfg_.category_ms};
  sc.policy.category_price = {cfg_.price};
  sc.heartbeat_interval_ms = kHeartbeatMs;
  sc.heartbeat_liveness = 3;
  auto host = scheduler::SimHost::open(
      sc, clock_, [this](bool to_worker, const std::string& peer, Bytes frame) {
        from_scheduler(to_worker, peer, std::move(frame));
      });
  if (!host.ok()) {
    violation("the scheduler does not open: " + host.status().to_string());
    return;
  }
  host_ = std::move(*host);
  pool_id_ = host_->pool_id();
  if (pool_key_.public_key() != pool_id_) {
    // The operator's copy of the pool key, as `gpoc account mint --data-dir` reads it.
    auto key = load_key_file(cfg_.dir / "scheduler.key");
    if (!key.ok()) return violation("scheduler.key: " + key.status().to_string());
    pool_key_ = std::move(*key);
  }
  commit_scheduled_ = false;
  wake_at_ = INT64_MAX;
  trace("scheduler-open", to_hex(pool_id_));
  scheduler_activity();
}

void Simulation::scheduler_crash() {
  if (!host_) return;
  trace("scheduler-crash", "");
  host_.reset();  // the waiting batch and the one being committed are lost
  ++epoch_;
  std::int64_t down = rng_.between(500, 5'000);
  downtime_.push_back({clock_.now_ms(), clock_.now_ms() + down});
  at(clock_.now_ms() + down, [this] {
    ++report_.scheduler_restarts;
    scheduler_open();
  });
}

// What the event loop does after each message or timer: tick, hand over a due batch, and sleep
// until the next deadline or batch.
void Simulation::scheduler_activity() {
  if (!host_) return;
  std::int64_t next = host_->tick();
  if (Status s = host_->flush(); !s.ok()) violation("flush: " + s.to_string());
  if (host_->commit_in_flight() && !commit_scheduled_) {
    commit_scheduled_ = true;
    int epoch = epoch_;
    at(clock_.now_ms() + rng_.between(1, 3), [this, epoch] {
      if (!host_ || epoch != epoch_) return;
      commit_scheduled_ = false;
      trace("commit", "");
      if (Status s = host_->complete_commit(); !s.ok()) violation("commit: " + s.to_string());
      audit_ledger();
      scheduler_activity();
    });
  }
  if (std::int64_t due = host_->flush_due_ms(); due >= 0) next = std::min(next, due);
  scheduler_wake(std::max(next, clock_.now_ms() + 1));
}

void Simulation::scheduler_wake(std::int64_t t) {
  if (t >= wake_at_) return;
  wake_at_ = t;
  int epoch = epoch_;
  at(t, [this, epoch, t] {
    if (!host_ || epoch != epoch_ || wake_at_ != t) return;
    wake_at_ = INT64_MAX;
    scheduler_activity();
  });
}

// ---- workers ------------------------------------------------------------------------------------

void Simulation::worker_send(Worker& w, wire::Envelope env) {
  env.set_version(transport::kProtocolVersion);
  env.set_message_id((static_cast<std::uint64_t>(w.idx + 1) << 40) | w.next_id++);
  to_scheduler(true, w.peer, transport::encode(env));
}

void Simulation::worker_hello(Worker& w) {
  w.hello_ms = clock_.now_ms();
  wire::Envelope env;
  env.mutable_hello()->set_worker_key(w.pub.data(), 32);
  worker_send(w, std::move(env));
}

void Simulation::worker_heartbeat(int idx, int incarnation) {
  Worker& w = workers_[idx];
  if (!w.up || w.incarnation != incarnation) return;
  if (!w.registered) {
    if (clock_.now_ms() - w.hello_ms >= 2 * kHeartbeatMs) worker_hello(w);  // lost: again
  } else {
    wire::Envelope env;
    env.mutable_heartbeat();
    worker_send(w, std::move(env));
  }
  at(clock_.now_ms() + kHeartbeatMs,
     [this, idx, incarnation] { worker_heartbeat(idx, incarnation); });
}

void Simulation::worker_receive(Worker& w, const wire::Envelope& env) {
  switch (env.body_case()) {
    case wire::Envelope::kChallenge: {
      RegisterStatement st;
      std::copy_n(env.challenge().pool_id().begin(), 32, st.pool_id.begin());
      std::copy_n(env.challenge().challenge().begin(), 32, st.challenge.begin());
      st.worker_key = w.pub;
      st.exec_class = std::string(kExecClass);
      Bytes bytes = encode_register(st);
      Signature sig = w.key.sign(bytes);
      w.old_register = {bytes, sig};
      wire::Envelope out;
      auto* r = out.mutable_register_();
      r->set_statement(bytes.data(), bytes.size());
      r->set_signature(sig.data(), sig.size());
      r->mutable_device()->set_name("simulated");
      r->add_kernels(cfg_.kernel + "@1");
      r->set_slots(cfg_.slots);
      if (w.strategy == Strategy::collude && cfg_.colluders_one_operator) {
        Signature cert = sign_operator_statement(collude_operator_, w.pub);
        r->set_operator_key(collude_operator_.public_key().data(), 32);
        r->set_operator_signature(cert.data(), cert.size());
      }
      return worker_send(w, std::move(out));
    }
    case wire::Envelope::kRegistered: w.registered = true; return;
    case wire::Envelope::kAssignment: {
      const wire::Assignment& a = env.assignment();
      auto id = fixed_bytes<32>(a.task_id());
      if (!id) return;
      // As the reference worker does: every assignment runs, a repeated one included (after a
      // scheduler restart the same task may come back as a new replica).
      auto spec = decode_task_spec(as_bytes(a.spec()));
      if (!spec.ok() || !a.input_inline()) return violation("an assignment the worker cannot read");
      WTask t;
      t.spec = *spec;
      auto out =
          backend_->run(spec->kernel_id, spec->kernel_version, spec->params, as_bytes(a.input()));
      if (!out.ok()) return violation("the kernel fails on an assigned input");
      t.output = std::move(out->data);
      if (w.strategy == Strategy::wrong) {
        // Its own wrong answer, the same each time it runs this task.
        Bytes tag(w.pub.begin(), w.pub.end());
        tag.insert(tag.end(), id->begin(), id->end());
        const Digest32 noise = sha256(tag);
        for (std::size_t i = 0; i < 8; ++i)
          t.output[i] = static_cast<std::uint8_t>(t.output[i] ^ noise[i] ^ (i == 0 ? 1 : 0));
      } else if (w.strategy == Strategy::collude) {
        t.output[0] ^= 0x5a;  // the group's agreed answer
      }
      t.digest = result_digest(t.output);
      w.tasks[*id] = std::move(t);
      std::int64_t compute =
          static_cast<std::int64_t>(static_cast<double>(rng_.between(300, 2'000)) * w.speed);
      int idx = w.idx, inc = w.incarnation;
      TaskId tid = *id;
      at(clock_.now_ms() + compute, [this, idx, inc, tid] { worker_computed(idx, inc, tid); });
      return;
    }
    case wire::Envelope::kRevealRequest: {
      auto id = fixed_bytes<32>(env.reveal_request().task_id());
      if (!id || w.tasks.count(*id) == 0) return;
      if (w.strategy == Strategy::no_reveal) return;
      if (w.strategy == Strategy::late_reveal) {
        int idx = w.idx, inc = w.incarnation;
        TaskId tid = *id;
        bool upload = env.reveal_request().upload();
        at(clock_.now_ms() + 2 * cfg_.category_ms + 1'000, [this, idx, inc, tid, upload] {
          Worker& lw = workers_[idx];
          if (lw.up && lw.incarnation == inc && lw.tasks.count(tid) != 0)
            worker_reveal(lw, tid, upload);
        });
        return;
      }
      return worker_reveal(w, *id, env.reveal_request().upload());
    }
    case wire::Envelope::kUploadRequest: {
      auto id = fixed_bytes<32>(env.upload_request().task_id());
      if (id && w.tasks.count(*id) != 0) worker_upload(w, *id);
      return;
    }
    case wire::Envelope::kAbort: {
      if (auto id = fixed_bytes<32>(env.abort().task_id())) w.tasks.erase(*id);
      return;
    }
    case wire::Envelope::kError: {
      if (env.error().code() == wire::ERROR_NOT_REGISTERED && w.registered) {
        // The scheduler restarted or declared us lost: register again, keeping our results to
        // reveal and upload when asked, as the reference worker does.
        w.registered = false;
        worker_hello(w);
      }
      return;
    }
    default: return;
  }
}

void Simulation::worker_computed(int idx, int incarnation, TaskId id) {
  Worker& w = workers_[idx];
  if (!w.up || w.incarnation != incarnation) return;
  auto it = w.tasks.find(id);
  if (it == w.tasks.end() || it->second.contributed) return;
  WTask& t = it->second;
  ContributionStatement st;
  st.pool_id = pool_id_;
  st.task_id = id;
  st.worker_key = w.pub;
  st.output_bytes = t.output.size();
  st.exec_class = std::string(kExecClass);
  if (w.strategy == Strategy::copy) {
    auto seen = first_vote_.find(id);
    if (seen == first_vote_.end()) {  // nothing to copy yet: look again shortly
      at(clock_.now_ms() + 300,
         [this, idx, incarnation, id] { worker_computed(idx, incarnation, id); });
      return;
    }
    st.result_hash = seen->second.first;
    st.result_seal = seen->second.second;
  } else {
    st.result_hash = result_hash(id, t.digest);
    st.result_seal = result_seal(w.pub, id, t.digest);
  }
  Bytes bytes = encode_contribution(st);
  Signature sig = w.key.sign(bytes);
  auto send_contribution = [&](const Bytes& b, const Signature& s) {
    wire::Envelope env;
    env.mutable_contribution()->set_statement(b.data(), b.size());
    env.mutable_contribution()->set_signature(s.data(), s.size());
    worker_send(w, std::move(env));
  };
  if (w.strategy == Strategy::replay) {
    // Signatures from elsewhere: another task's vote, this vote under another task's signature,
    // and the registration answer offered as a vote. All must be refused.
    if (w.old_contribution) {
      send_contribution(w.old_contribution->first, w.old_contribution->second);
      send_contribution(bytes, w.old_contribution->second);
    }
    if (w.old_register) send_contribution(w.old_register->first, w.old_register->second);
  }
  send_contribution(bytes, sig);
  w.old_contribution = {bytes, sig};
  t.contributed = true;
  if (w.strategy != Strategy::copy)
    first_vote_.emplace(id, std::make_pair(st.result_hash, st.result_seal));
}

void Simulation::worker_reveal(Worker& w, const TaskId& id, bool upload) {
  WTask& t = w.tasks.at(id);
  Digest32 digest = t.digest;
  if (w.strategy == Strategy::copy) {
    // It never computed: the best it can do is the digest someone else revealed.
    auto seen = first_reveal_.find(id);
    if (seen != first_reveal_.end()) {
      digest = seen->second;
    } else {
      randombytes_buf(digest.data(), digest.size());
    }
  } else {
    first_reveal_.emplace(id, digest);
  }
  wire::Envelope env;
  env.mutable_reveal()->set_task_id(id.data(), 32);
  env.mutable_reveal()->set_digest(digest.data(), 32);
  worker_send(w, std::move(env));
  if (upload) worker_upload(w, id);
}

void Simulation::worker_upload(Worker& w, const TaskId& id) {
  const WTask& t = w.tasks.at(id);
  for (auto& chunk :
       transport::split_chunks(ByteView(id), t.output, transport::kDefaultChunkBytes)) {
    wire::Envelope env;
    *env.mutable_output_chunk() = std::move(chunk);
    worker_send(w, std::move(env));
  }
}

// Malformed and misdirected messages of every kind, one per call.
void Simulation::worker_flood(int idx, int incarnation) {
  Worker& w = workers_[idx];
  if (!w.up || w.incarnation != incarnation) return;
  if (w.registered) {
    wire::Envelope env;
    Bytes junk(static_cast<std::size_t>(rng_.between(0, 200)));
    if (!junk.empty()) randombytes_buf(junk.data(), junk.size());
    switch (rng_.next() % 8) {
      case 0:  // not an envelope at all
        env.set_message_id(w.next_id++);
        to_scheduler(true, w.peer, junk);
        break;
      case 1:
        env.mutable_contribution()->set_statement(junk.data(), junk.size());
        env.mutable_contribution()->set_signature(junk.data(),
                                                  std::min<std::size_t>(junk.size(), 64));
        worker_send(w, std::move(env));
        break;
      case 2:
        env.mutable_reveal()->set_task_id(junk.data(), std::min<std::size_t>(junk.size(), 32));
        env.mutable_reveal()->set_digest(junk.data(), std::min<std::size_t>(junk.size(), 31));
        worker_send(w, std::move(env));
        break;
      case 3: {
        Digest32 id{};
        randombytes_buf(id.data(), id.size());
        *env.mutable_output_chunk() = transport::make_chunk(ByteView(id), junk, 0, junk.size());
        worker_send(w, std::move(env));
        break;
      }
      case 4:
        env.mutable_input_request()->set_task_id(junk.data(), junk.size());
        worker_send(w, std::move(env));
        break;
      case 5:
        env.mutable_register_()->set_statement(junk.data(), junk.size());
        worker_send(w, std::move(env));
        break;
      case 6:
        env.mutable_task_failure()->set_task_id(junk.data(),
                                                std::min<std::size_t>(junk.size(), 32));
        env.mutable_task_failure()->set_reason(to_hex(junk));
        worker_send(w, std::move(env));
        break;
      default:
        env.mutable_submit()->set_spec(junk.data(), junk.size());  // a client message, wrong side
        worker_send(w, std::move(env));
        break;
    }
  }
  at(clock_.now_ms() + 200, [this, idx, incarnation] { worker_flood(idx, incarnation); });
}

void Simulation::worker_crash(int idx) {
  Worker& w = workers_[idx];
  if (!w.up) return;
  trace("worker-crash", w.peer);
  w.up = false;
  w.registered = false;
  w.tasks.clear();
  ++w.incarnation;
  at(clock_.now_ms() + rng_.between(2'000, 30'000), [this, idx] { worker_restart(idx); });
}

void Simulation::worker_restart(int idx) {
  ++report_.worker_restarts;
  worker_start(idx);
}

void Simulation::worker_start(int idx) {
  Worker& w = workers_[idx];
  w.up = true;
  w.peer = "w" + std::to_string(idx) + "." + std::to_string(w.incarnation);
  worker_by_peer_[w.peer] = idx;
  trace("worker-start", w.peer);
  worker_hello(w);
  int inc = w.incarnation;
  at(clock_.now_ms() + kHeartbeatMs, [this, idx, inc] { worker_heartbeat(idx, inc); });
  if (w.strategy == Strategy::flood)
    at(clock_.now_ms() + 500, [this, idx, inc] { worker_flood(idx, inc); });
}

// ---- requester and operator ---------------------------------------------------------------------

void Simulation::submit(int n, int attempt) {
  if (submitted_.count(n) != 0) return;
  if (attempt > 20) return violation("submission " + std::to_string(n) + " never answered");
  const auto& [spec, sig] = specs_[static_cast<std::size_t>(n)];
  const TaskId id = task_id_of(spec);
  wire::Envelope env;
  env.set_version(transport::kProtocolVersion);
  env.set_message_id(next_client_msg_++);
  auto* s = env.mutable_submit();
  s->set_spec(spec.data(), spec.size());
  s->set_signature(sig.data(), sig.size());
  Bytes input(kInputBytes);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<std::uint8_t>(n * 31 + i);
  s->set_input(input.data(), input.size());
  s->set_input_complete(true);
  submit_of_msg_[env.message_id()] = n;
  (void)id;
  to_scheduler(false, "requester", transport::encode(env));
  at(clock_.now_ms() + 3'000, [this, n, attempt] { submit(n, attempt + 1); });
}

void Simulation::mint(const PublicKey& account, Amount amount, std::uint64_t nonce) {
  if (mint_nonces_done_.count(nonce) != 0) return;
  MintStatement m;
  m.pool_id = pool_id_;
  m.account = account;
  m.amount = amount;
  m.nonce = nonce;
  m.memo = "simulation";
  Bytes st = encode_mint(m);
  Signature sig = pool_key_.sign(st);
  wire::Envelope env;
  env.set_version(transport::kProtocolVersion);
  env.set_message_id(next_client_msg_++);
  env.mutable_mint_request()->set_statement(st.data(), st.size());
  env.mutable_mint_request()->set_signature(sig.data(), sig.size());
  mint_of_msg_[env.message_id()] = nonce;
  to_scheduler(false, "operator", transport::encode(env));
  at(clock_.now_ms() + 2'000, [this, account, amount, nonce] { mint(account, amount, nonce); });
}

void Simulation::client_receive(const std::string& peer, const wire::Envelope& env) {
  if (peer == "operator") {
    auto it = mint_of_msg_.find(env.reply_to());
    if (it == mint_of_msg_.end()) return;
    if (env.body_case() != wire::Envelope::kAccountStatus)
      return violation("a mint was refused: " + env.error().message());
    if (mint_nonces_done_.insert(it->second).second) --mints_pending_;
    return;
  }
  auto it = submit_of_msg_.find(env.reply_to());
  if (it == submit_of_msg_.end()) return;
  if (env.body_case() == wire::Envelope::kSubmitted) {
    submitted_.insert(it->second);
  } else if (env.body_case() == wire::Envelope::kError && env.error().code() != wire::ERROR_BUSY) {
    violation("submission refused: " + env.error().message());
  }
}

// ---- invariants ---------------------------------------------------------------------------------

// After every event: value is conserved in the scheduler's own books.
void Simulation::check_step() {
  if (!host_) return;
  const Accounts& a = host_->engine().accounts();
  if (a.total() != static_cast<Amount128>(a.minted()))
    violation("the engine's balances and locks do not add up to all mints");
}

// After every commit: the new entries replay (each balances and matches PoCo's rules), no task
// is final twice, wrong results only ever win on byzantine weight above the threshold, and the
// ledger's balances and scores equal the model's.
void Simulation::audit_ledger() {
  if (!reader_) {
    auto r = ledger::Ledger::open(cfg_.dir, /*read_only=*/true);
    if (!r.ok()) return violation("ledger: " + r.status().to_string());
    reader_ = std::move(*r);
    replay_ = std::make_unique<verifier::Replay>(pool_id_);
  }
  const std::uint64_t size = reader_->size();
  std::uint64_t before = audited_;
  Status s = reader_->for_each_entry(audited_ + 1, [&](const ledger::Entry& e) {
    audited_ = e.seq;
    if (Status a = replay_->apply(e.kind, e.body); !a.ok()) {
      violation("ledger entry " + std::to_string(e.seq) + " does not replay: " + a.message());
      return true;
    }
    if (e.kind == verifier::kAcceptKind) {
      auto acc = verifier::decode_accept_record(e.body);
      if (!acc.ok()) return true;
      if (accepted_.count(acc->task_id) != 0) violation("a task accepted twice");
      accepted_[acc->task_id] = {e.time_ms + 10 * cfg_.category_ms, false};
      ++report_.accepted;
    } else if (e.kind == verifier::kCommitKind || e.kind == verifier::kFailKind) {
      auto rec = verifier::decode_task_record(e.body);
      if (!rec.ok()) return true;
      check_record(*rec, e.kind == verifier::kCommitKind);
    }
    return true;
  });
  if (!s.ok()) violation("ledger read: " + s.to_string());
  report_.ledger_entries = audited_;
  if (audited_ == before && size == before) return;
  if (!cfg_.check_ledger_every_commit && !drained()) return;
  auto balances = reader_->balances();
  auto scores = reader_->scores();
  if (!balances.ok() || !scores.ok()) return violation("ledger tables unreadable");
  std::map<PublicKey, Balance> model = replay_->accounts().all();
  for (const auto& [k, b] : *balances) {
    Balance m = replay_->accounts().get(k);
    if (m.free != b.free || m.locked != b.locked)
      violation("balance of " + to_hex(k).substr(0, 12) + " in the ledger differs from the model");
    model.erase(k);
  }
  for (const auto& [k, b] : model) {
    if (b.free != 0 || b.locked != 0)
      violation("account " + to_hex(k).substr(0, 12) + " missing from the ledger's balances");
  }
  const auto& ms = replay_->scores();
  std::size_t nonzero = 0;
  for (const auto& [k, v] : ms) nonzero += v != 0;
  std::size_t matched = 0;
  for (const auto& [k, v] : *scores) {
    auto it = ms.find(k);
    std::uint64_t want = it == ms.end() ? 0 : it->second;
    if (want != v)
      violation("score of " + to_hex(k).substr(0, 12) + " in the ledger differs from the model");
    matched += v != 0;
  }
  if (matched != nonzero) violation("the ledger is missing scores the model has");
  if (replay_->accounts().total() != static_cast<Amount128>(replay_->accounts().minted()))
    violation("the ledger's balances and locks do not add up to all mints");
}

void Simulation::check_record(const verifier::TaskRecord& r, bool completed) {
  const std::string name = to_hex(r.task_id).substr(0, 12);
  if (!finalized_.insert(r.task_id).second) return violation("task " + name + " final twice");
  auto acc = accepted_.find(r.task_id);
  if (acc == accepted_.end()) return violation("task " + name + " final but never accepted");
  acc->second.final = true;
  auto truth = truth_.find(r.task_id);
  if (truth == truth_.end()) return violation("task " + name + " was never submitted");
  TrustStats& ts = report_.by_trust[truth->second.trust];
  ++ts.tasks;
  ts.contributions += r.contributions.size();
  // Every vote in the record is a signed statement for this task by the worker named.
  for (const verifier::ContributionRecord& c : r.contributions) {
    auto st = decode_contribution(c.statement);
    if (!st.ok() || st->task_id != r.task_id || st->worker_key != c.worker ||
        st->pool_id != pool_id_ || !verify_signature(c.worker, c.statement, c.signature)) {
      violation("task " + name + " records a vote that is not this worker's signed vote for it");
    }
    if (c.outcome == verifier::Outcome::winner && strategy_of_[c.worker] == Strategy::copy)
      violation("task " + name + " rewards a worker that copied its vote");
  }
  if (r.finished_ms > 0) {
    if (r.finished_ms > finish_by(acc->second.final_deadline_ms))
      violation("task " + name + " finished after its final deadline");
  }
  if (!completed) {
    ++report_.failure_reasons[r.reason];
    ++report_.failed;
    ++ts.failed;
    return;
  }
  ++report_.committed;
  ++ts.committed;
  ts.consensus_ms_sum += r.consensus_ms - r.submitted_ms;
  if (r.digest == truth->second.digest) return;
  ++report_.committed_wrong;
  ++ts.committed_wrong;
  // A wrong result may win only on byzantine votes that carried the threshold on their own:
  // W > (trust - 1)(1 + D), W the product of the agreeing weights, D the sum of the weights that
  // stood against it (votes set aside by a reopen no longer count, as in the engine).
  const Digest32 vote = result_hash(r.task_id, r.digest);
  Amount128 W = 1, D = 0;
  for (const verifier::ContributionRecord& c : r.contributions) {
    auto st = decode_contribution(c.statement);
    if (!st.ok()) continue;
    if (st->result_hash == vote) {
      if (byzantine_.count(c.worker) == 0)
        violation("task " + name + ": an honest worker voted for a wrong result");
      W *= c.weight;
    } else if (c.outcome == verifier::Outcome::wrong_vote) {
      D += c.weight;
    }
  }
  const Amount128 trust = truth->second.trust;
  if (!(W > (trust - 1) * (1 + D))) {
    std::string votes;
    for (const verifier::ContributionRecord& c : r.contributions) {
      auto st = decode_contribution(c.statement);
      votes += " [" + std::string(strategy_name(strategy_of_[c.worker])) +
               " w=" + std::to_string(c.weight) + " " +
               std::string(verifier::outcome_name(c.outcome)) +
               (st.ok() && st->result_hash == vote ? " agrees" : "") + "]";
    }
    violation("task " + name + " committed a wrong result below the trust threshold (trust " +
              std::to_string(truth->second.trust) + "):" + votes);
  }
}

// The latest a task may end: its final deadline plus tick and commit latency, pushed back by any
// time the scheduler was down at or after the deadline (it fails the task when it comes back).
std::int64_t Simulation::finish_by(std::int64_t final_deadline_ms) const {
  std::int64_t limit = final_deadline_ms + kDeadlineSlackMs;
  for (const auto& [down, up] : downtime_) {
    if (up >= final_deadline_ms && down <= limit) limit = std::max(limit, up + kDeadlineSlackMs);
  }
  return limit;
}

void Simulation::check_deadlines() {
  const std::int64_t now = clock_.now_ms();
  if (!host_) return;
  for (const auto& [id, a] : accepted_) {
    if (a.final) continue;
    if (now > finish_by(a.final_deadline_ms)) {
      violation("task " + to_hex(id).substr(0, 12) + " still open past its final deadline");
      accepted_[id].final = true;  // once
      return;
    }
  }
}

bool Simulation::drained() const {
  if (!submissions_done_ || mints_pending_ != 0) return false;
  for (const auto& [id, a] : accepted_)
    if (!a.final) return false;
  return static_cast<int>(submitted_.size()) == cfg_.tasks;
}

// ---- the run ------------------------------------------------------------------------------------

Report Simulation::run() {
  const auto wall0 = std::chrono::steady_clock::now();
  SeededSodium seeded(cfg_.seed);
  if (!cfg_.trace_file.empty()) trace_out_ = std::fopen(cfg_.trace_file.c_str(), "w");
  std::error_code ec;
  std::filesystem::remove_all(cfg_.dir, ec);
  std::filesystem::create_directories(cfg_.dir, ec);

  // Workers: keys from the seed; the byzantine ones drawn at random, strategies in turn.
  const int byz = static_cast<int>(std::lround(cfg_.byzantine * cfg_.workers));
  std::vector<int> order(static_cast<std::size_t>(cfg_.workers));
  for (int i = 0; i < cfg_.workers; ++i) order[static_cast<std::size_t>(i)] = i;
  for (int i = cfg_.workers - 1; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)],
              order[rng_.next() % static_cast<std::uint64_t>(i + 1)]);
  workers_.resize(static_cast<std::size_t>(cfg_.workers));
  for (int i = 0; i < cfg_.workers; ++i) {
    Worker& w = workers_[static_cast<std::size_t>(i)];
    w.idx = i;
    Bytes seed(32);
    for (auto& b : seed) b = static_cast<std::uint8_t>(rng_.next());
    w.key = SecretKey::from_seed(seed);
    w.pub = w.key.public_key();
    w.speed = 0.5 + rng_.uniform();
  }
  for (int j = 0; j < byz; ++j) {
    Worker& w = workers_[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])];
    w.strategy = cfg_.strategies[static_cast<std::size_t>(j) % cfg_.strategies.size()];
    if (w.strategy != Strategy::honest) byzantine_.insert(w.pub);
  }
  for (const Worker& w : workers_) strategy_of_[w.pub] = w.strategy;

  spdlog::level::level_enum level = spdlog::get_level();
  spdlog::set_level(spdlog::level::err);
  // The flood's junk sometimes parses as a string field with bad UTF-8, which protobuf reports
  // on stderr before the decode fails as it should; counted in `refused`, not printed.
  google::protobuf::LogHandler* protobuf_log = google::protobuf::SetLogHandler(nullptr);
  scheduler_open();
  if (!host_) {
    spdlog::set_level(level);
    google::protobuf::SetLogHandler(protobuf_log);
    return report_;
  }

  // The operator funds the requester, the pool's stake and every worker's stake.
  Bytes rseed(32);
  for (auto& b : rseed) b = static_cast<std::uint8_t>(rng_.next());
  requester_ = SecretKey::from_seed(rseed);
  for (auto& b : rseed) b = static_cast<std::uint8_t>(rng_.next());
  collude_operator_ = SecretKey::from_seed(rseed);
  const Amount budget = cfg_.price * static_cast<Amount>(cfg_.tasks);
  std::uint64_t nonce = 1;
  std::vector<std::pair<PublicKey, Amount>> grants = {{requester_.public_key(), budget},
                                                      {pool_id_, budget}};
  for (const Worker& w : workers_) grants.emplace_back(w.pub, cfg_.price * 50);
  mints_pending_ = static_cast<int>(grants.size());
  for (const auto& g : grants) minted_total_ += g.second;
  for (const auto& [acct, amount] : grants) mint(acct, amount, nonce++);

  for (Worker& w : workers_) {
    int idx = w.idx;
    at(clock_.now_ms() + rng_.between(1, 2'000), [this, idx] { worker_start(idx); });
  }

  // Tasks: the honest result of each is known before it is submitted.
  const std::int64_t first_submit = clock_.now_ms() + 5'000;
  for (int n = 0; n < cfg_.tasks; ++n) {
    TaskSpec spec;
    spec.kernel_id = cfg_.kernel;
    spec.kernel_version = 1;
    Bytes input(kInputBytes);
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<std::uint8_t>(n * 31 + i);
    spec.input_digest = result_digest(input);
    spec.input_bytes = input.size();
    spec.trust = cfg_.trusts[static_cast<std::size_t>(n) % cfg_.trusts.size()];
    spec.requester_key = requester_.public_key();
    spec.requester_nonce = static_cast<std::uint64_t>(n) + 1;
    Bytes bytes = *encode_task_spec(spec);
    auto out = backend_->run(spec.kernel_id, spec.kernel_version, spec.params, input);
    Truth t;
    t.output = out->data;
    t.digest = out->digest;
    t.trust = spec.trust;
    truth_[task_id_of(bytes)] = std::move(t);
    specs_.emplace_back(bytes, requester_.sign(bytes));
    at(first_submit + n * cfg_.submit_interval_ms + rng_.between(0, 50),
       [this, n] { submit(n, 0); });
  }
  const std::int64_t submit_end = first_submit + cfg_.tasks * cfg_.submit_interval_ms;
  at(submit_end, [this] { submissions_done_ = true; });

  // Faults spread over the submission window.
  for (int i = 0; i < cfg_.faults.worker_crashes; ++i) {
    int idx = static_cast<int>(rng_.next() % static_cast<std::uint64_t>(cfg_.workers));
    at(rng_.between(first_submit, submit_end), [this, idx] { worker_crash(idx); });
  }
  for (int i = 0; i < cfg_.faults.scheduler_crashes; ++i)
    at(rng_.between(first_submit, submit_end), [this] { scheduler_crash(); });
  for (std::int64_t t = first_submit; t < kStartMs + cfg_.sim_ms_max; t += 1'000) {
    at(t, [this] { check_deadlines(); });
  }

  while (!queue_.empty() && report_.violations.empty()) {
    Event e = queue_.top();
    queue_.pop();
    clock_.set_ms(e.t);
    ++report_.events;
    e.fn();
    check_step();
    if (drained() && !host_->commit_in_flight()) break;
    if (e.t - kStartMs > cfg_.sim_ms_max) {
      violation("the pool did not drain within the simulated time limit");
      break;
    }
  }
  if (report_.violations.empty() && host_) {
    // Quiet now: the engine's books are the ledger's books, and the chain verifies.
    auto balances = reader_->balances();
    if (balances.ok()) {
      for (const auto& [k, b] : *balances) {
        Balance e = host_->engine().accounts().get(k);
        if (e.free != b.free || e.locked != b.locked)
          violation("after the run the engine's balance of " + to_hex(k).substr(0, 12) +
                    " differs from the ledger's");
      }
    }
    // Nothing acknowledged was lost: every answered submission and mint is in the ledger.
    for (int n : submitted_) {
      if (accepted_.count(task_id_of(specs_[static_cast<std::size_t>(n)].first)) == 0)
        violation("submission " + std::to_string(n) + " was acknowledged but is not in the ledger");
    }
    if (replay_->accounts().minted() != minted_total_)
      violation("the ledger's mints differ from the mints the operator was told were made");
    auto v = reader_->verify();
    if (!v.ok() || !v->ok) violation("the ledger's hash chain does not verify");
    if (replay_->open_tasks() != 0) violation("tasks left open in the ledger");
  }
  spdlog::set_level(level);
  google::protobuf::SetLogHandler(protobuf_log);
  report_.sim_ms = clock_.now_ms() - kStartMs;
  crypto_hash_sha256_final(&trace_, report_.trace.data());
  host_.reset();
  reader_.reset();
  std::filesystem::remove_all(cfg_.dir, ec);
  if (trace_out_) std::fclose(trace_out_);
  report_.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return report_;
}

}  // namespace

Report run(const Config& config) {
  Simulation sim(config);
  return sim.run();
}

std::filesystem::path scratch_dir(std::string_view tag) {
  std::error_code ec;
  std::filesystem::path base = "/dev/shm";
  if (!std::filesystem::is_directory(base, ec) || ::access(base.c_str(), W_OK) != 0)
    base = std::filesystem::temp_directory_path();
  return base / ("gpoc-sim-" + std::to_string(::getpid()) + "-" + std::string(tag));
}

std::vector<std::string> scenario_names() {
  return {"honest", "wrong", "collude", "mixed", "chaos", "certified"};
}

bool scenario(std::string_view name, std::uint64_t seed, Config* out) {
  Config c;
  c.seed = seed;
  c.workers = 200;
  c.tasks = 60;
  Faults mild;
  mild.loss = 0.01;
  mild.duplicate = 0.01;
  mild.slow = 0.01;
  mild.worker_crashes = 10;
  mild.scheduler_crashes = 1;
  if (name == "honest") {
    c.faults = mild;
    c.trusts = {2, 3, 100};
  } else if (name == "wrong") {
    c.byzantine = 0.3;
    c.strategies = {Strategy::wrong};
    c.trusts = {3, 10};
    c.faults = mild;
  } else if (name == "collude") {
    c.byzantine = 0.3;
    c.strategies = {Strategy::collude};
    c.trusts = {2, 3, 100};
  } else if (name == "mixed" || name == "chaos" || name == "certified") {
    c.byzantine = 0.3;
    c.strategies = {Strategy::wrong,       Strategy::collude, Strategy::copy, Strategy::no_reveal,
                    Strategy::late_reveal, Strategy::replay,  Strategy::flood};
    c.trusts = {2, 3, 10, 100};
    c.faults = mild;
    if (name == "chaos") {
      c.faults.loss = 0.05;
      c.faults.duplicate = 0.05;
      c.faults.slow = 0.05;
      c.faults.worker_crashes = 40;
      c.faults.scheduler_crashes = 3;
    }
    if (name == "certified") c.kernel = "sort_u32";
  } else {
    return false;
  }
  *out = std::move(c);
  return true;
}

}  // namespace gpoc::sim
