#include "gpoc/scheduler/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>

#include "gpoc/common/hex.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "impl.hpp"

namespace gpoc::scheduler {

static constexpr int kMessagesPerTurnMax = 512;  // per socket, so neither side starves the other

wire::TaskStatus to_wire_status(const verifier::TaskView& v) {
  wire::TaskStatus st;
  st.set_task_id(v.task_id.data(), 32);
  st.set_state(static_cast<wire::TaskState>(v.phase));
  st.set_kernel(v.kernel);
  st.set_trust(v.trust);
  for (const auto& r : v.replicas) {
    auto* ri = st.add_replicas();
    ri->set_worker_key(r.worker.data(), 32);
    ri->set_state(static_cast<wire::ReplicaState>(r.phase));
    if (r.contributed_ms != 0) ri->set_result_hash(r.result_hash.data(), 32);
    ri->set_weight(r.weight);
    ri->set_winner(r.winner);
    ri->set_note(r.note);
    ri->set_assigned_ms(r.assigned_ms);
    ri->set_contributed_ms(r.contributed_ms);
  }
  if (v.consensus_hash) st.set_consensus_hash(v.consensus_hash->data(), 32);
  if (v.digest) st.set_digest(v.digest->data(), 32);
  st.set_output_bytes(v.output_bytes);
  st.set_reason(v.reason);
  st.set_submitted_ms(v.submitted_ms);
  st.set_consensus_ms(v.consensus_ms);
  st.set_finished_ms(v.finished_ms);
  st.set_final_deadline_ms(v.final_deadline_ms);
  st.set_credibility_num(v.credibility_num);
  st.set_credibility_den(v.credibility_den);
  st.set_certifiable(v.certifiable);
  if (const auto& c = v.certificate) {
    auto* ci = st.mutable_certificate();
    ci->set_method(c->method);
    ci->set_rounds(c->rounds);
    ci->set_bound_bits(c->bound_bits);
    ci->set_seed(c->seed.data(), c->seed.size());
    ci->set_decisive(c->decisive);
  }
  return st;
}

void Scheduler::Impl::send(Side side, const std::string& peer, wire::Envelope env) {
  transport::RouterSocket& sock = side == Side::clients ? clients : workers;
  Status s = outbox ? outbox(side, peer, std::move(env)) : sock.send(peer, std::move(env));
  if (!s.ok()) spdlog::debug("send to {} failed: {}", to_hex(as_bytes(peer)), s.to_string());
}

void Scheduler::Impl::send_error(Side side, const std::string& peer, std::uint64_t reply_to,
                                 wire::ErrorCode code, std::string message, ByteView task_id) {
  send(side, peer, transport::make_error(reply_to, code, std::move(message), task_id));
}

// Turns the engine's actions into messages and ledger writes.
void Scheduler::Impl::apply_actions() {
  for (verifier::Action& a : engine->take_actions()) {
    if (auto* f = std::get_if<verifier::FinishAction>(&a)) {
      on_finish(*f);
      continue;
    }
    if (auto* c = std::get_if<verifier::CertifyAction>(&a)) {
      certify(*c);
      continue;
    }
    wire::Envelope env;
    PublicKey to{};
    if (auto* as = std::get_if<verifier::AssignAction>(&a)) {
      to = as->worker;
      auto* m = env.mutable_assignment();
      m->set_task_id(as->task_id.data(), 32);
      const Bytes& input = inputs.at(as->task_id);
      const Bytes* spec = engine->task_spec_bytes(as->task_id);
      m->set_spec(spec->data(), spec->size());
      m->set_input_inline(input.size() <= transport::kDefaultChunkBytes);
      if (m->input_inline()) m->set_input(input.data(), input.size());
      m->set_deadline_ms(as->deadline_ms);
      m->set_chunk_bytes(transport::kDefaultChunkBytes);
    } else if (auto* rr = std::get_if<verifier::RevealRequestAction>(&a)) {
      to = rr->worker;
      env.mutable_reveal_request()->set_task_id(rr->task_id.data(), 32);
      env.mutable_reveal_request()->set_upload(rr->upload);
    } else if (auto* ur = std::get_if<verifier::UploadRequestAction>(&a)) {
      to = ur->worker;
      env.mutable_upload_request()->set_task_id(ur->task_id.data(), 32);
    } else if (auto* ab = std::get_if<verifier::AbortAction>(&a)) {
      to = ab->worker;
      env.mutable_abort()->set_task_id(ab->task_id.data(), 32);
      env.mutable_abort()->set_reason(ab->reason);
    }
    auto peer = peer_of.find(to);
    if (peer == peer_of.end()) continue;  // the worker is gone; the engine replaces its replica
    Status s = outbox ? outbox(Side::workers, peer->second, std::move(env))
                      : workers.send(peer->second, std::move(env));
    if (s.code() == ErrorCode::unavailable)
      engine->worker_lost(to, now(), "worker connection is gone");
  }
  if (engine->has_actions()) apply_actions();  // what a certificate's verdict led to
}

void Scheduler::Impl::on_finish(verifier::FinishAction& f) {
  const TaskId id = f.record.task_id;
  std::uint64_t seq = next_seq++;
  batch.append(std::string(f.record.completed ? verifier::kCommitKind : verifier::kFailKind),
               verifier::encode_task_record(f.record), now());
  // The input is already stored with the task (its id commits to it); an empty input keeps it.
  ledger::StoredTask stored;
  stored.task_id = id;
  stored.spec = f.record.spec;
  stored.signature = f.record.requester_signature;
  stored.state = f.record.completed ? wire::TASK_COMPLETED : wire::TASK_FAILED;
  stored.reason = f.record.reason;
  stored.submitted_ms = f.record.submitted_ms;
  stored.finished_ms = f.record.finished_ms;
  stored.digest = f.record.digest;
  stored.output_bytes = f.record.output_bytes;
  stored.ledger_seq = seq;
  wire::TaskStatus st = to_wire_status(f.view);
  st.set_ledger_seq(seq);
  stored.status_blob.resize(st.ByteSizeLong());
  st.SerializeToArray(stored.status_blob.data(), static_cast<int>(stored.status_blob.size()));
  batch.put_task(std::move(stored));
  if (f.record.completed) {
    batch.put_output(id, std::move(outputs.at(id)));
    ++stats.completed;
  } else {
    ++stats.failed;
  }
  for (const auto& [worker, score] : f.scores) batch.set_score(worker, score);
  write_balances(f.record.moves);
  sla_monitor->task_finished(f.record, f.view.kernel, f.view.final_deadline_ms, *sla_book);
  outputs.erase(id);
  inputs.erase(id);
  uploads.erase(id);
  early_outputs.erase(id);
  batch_finished.push_back(id);
  wire::TaskStatus pending_st = st;
  pending_st.set_state(wire::TASK_UPLOADING);  // final once its record is durable
  finalizing[id] = std::move(pending_st);
  if (auto w = watchers.find(id); w != watchers.end()) {
    for (const auto& [peer, msg_id] : w->second) {
      wire::Envelope env;
      env.set_reply_to(msg_id);
      *env.mutable_task_status() = st;
      after_commit.push_back({Side::clients, peer, std::move(env)});
    }
    watchers.erase(w);
  }
  if (f.record.completed) {
    spdlog::debug("task {} committed (ledger entry {})", to_hex(id).substr(0, 16), seq);
  } else {
    spdlog::info("task {} failed: {} (ledger entry {})", to_hex(id).substr(0, 16), f.record.reason,
                 seq);
  }
}

// Group commit: everything produced while the previous batch was being written goes to disk in
// one transaction, and no reply that promises durability leaves before its batch is synced.
Status Scheduler::Impl::flush() {
  if (batch.empty() && after_commit.empty()) {
    batch_since_ms = -1;
    return ok_status();
  }
  if (batch_since_ms < 0) batch_since_ms = now();
  if (writer->busy()) return ok_status();
  // Only acceptances so far: give a final record a moment to join, so both share one fsync.
  if (batch_finished.empty() && now() < batch_since_ms + cfg.commit_delay_ms) return ok_status();
  writer->submit(std::move(batch), std::move(after_commit), std::move(batch_finished));
  batch = ledger::Batch();
  after_commit.clear();
  batch_finished.clear();
  inflight_mints = std::move(pending_mints);
  pending_mints.clear();
  batch_since_ms = -1;
  return ok_status();
}

std::int64_t Scheduler::Impl::flush_due_ms() const {
  return batch_since_ms < 0 ? -1 : batch_since_ms + cfg.commit_delay_ms;
}

void Scheduler::Impl::handle(Side side, transport::Incoming& in) {
  if (side == Side::clients) {
    on_client_message(in);
  } else {
    on_worker_message(in);
  }
  // Entries go into the batch in the order the engine moved value, so a replay of the ledger
  // meets every balance as the engine did.
  apply_actions();
}

std::int64_t Scheduler::Impl::turn(std::int64_t now_ms) {
  sla_turn(now_ms);
  std::int64_t next = engine->tick(now_ms);
  expire_receiving(now_ms);
  apply_actions();
  return next;
}

Status Scheduler::Impl::collect_commit() {
  for (auto& done : writer->take()) {
    if (!done.status.ok()) return done.status.with_context("ledger commit failed");
    ++stats.ledger_batches;
    for (const TaskId& id : done.finished) finalizing.erase(id);
    for (Outgoing& o : done.replies) send(o.side, o.peer, std::move(o.env));
  }
  return ok_status();
}

Status Scheduler::Impl::drain() {
  auto send_all = [&](std::vector<CommitWriter<Outgoing>::Done> dones) -> Status {
    for (auto& done : dones) {
      GPOC_RETURN_IF_ERROR(done.status);
      for (Outgoing& o : done.replies) send(o.side, o.peer, std::move(o.env));
    }
    return ok_status();
  };
  GPOC_RETURN_IF_ERROR(send_all(writer->wait()));
  if (batch.empty() && after_commit.empty()) return ok_status();
  writer->submit(std::move(batch), std::move(after_commit), std::move(batch_finished));
  return send_all(writer->wait());
}

// Unfinished tasks come back into the engine; their contributions were not durable, so dispatch
// starts again, and a task already past its final deadline fails with the reason.
Status Scheduler::Impl::resume_unfinished() {
  GPOC_ASSIGN_OR_RETURN(auto tasks,
                        ledger->tasks_in_states({wire::TASK_PENDING, wire::TASK_RUNNING,
                                                 wire::TASK_REVEALING, wire::TASK_UPLOADING}));
  for (ledger::StoredTask& t : tasks) {
    auto spec = decode_task_spec(t.spec);
    if (!spec.ok()) return data_loss("stored task " + to_hex(t.task_id) + " has a bad spec");
    const kernels::KernelInfo* info = kernels::find_kernel(spec->kernel_id, spec->kernel_version);
    verifier::NewTask nt;
    nt.task_id = t.task_id;
    nt.spec_bytes = t.spec;
    nt.spec = std::move(*spec);
    nt.certifiable = cfg.certify && certifiable(nt.spec);
    nt.requester_signature = t.signature;
    nt.class_bound = info != nullptr && info->determinism == kernels::Determinism::arch;
    nt.submitted_ms = t.submitted_ms;
    nt.note = "resumed after scheduler restart";
    // Its escrow is in the ledger already, at the prices of the day it was accepted.
    auto entry = ledger->entry(t.ledger_seq);
    if (!entry.ok() || entry->kind != verifier::kAcceptKind)
      return data_loss("stored task " + to_hex(t.task_id) + " does not name its task.accept entry");
    GPOC_ASSIGN_OR_RETURN(auto acc, verifier::decode_accept_record(entry->body));
    nt.escrow = acc.escrow(pool_key.public_key());
    GPOC_RETURN_IF_ERROR(engine->add_task(std::move(nt), now()).status());
    inputs[t.task_id] = std::move(t.input);
  }
  if (!tasks.empty()) spdlog::info("resumed {} unfinished tasks from the ledger", tasks.size());
  return ok_status();
}

Result<std::unique_ptr<Scheduler::Impl>> Scheduler::Impl::open(SchedulerConfig config,
                                                               const Clock& clock, bool threaded) {
  transport::Limits limits = config.limits;
  auto impl = std::make_unique<Impl>(std::move(config), clock, limits);
  Impl& s = *impl;
  GPOC_RETURN_IF_ERROR(s.cfg.policy.validate());
  if (s.cfg.input_bytes_max > ledger::kBlobBytesMax) {
    return invalid_argument("--input-max-bytes cannot exceed the ledger's blob limit of " +
                            std::to_string(ledger::kBlobBytesMax) + " bytes");
  }
  if (s.cfg.heartbeat_interval_ms < 10 || s.cfg.heartbeat_liveness < 2) {
    return invalid_argument(
        "heartbeats need an interval of at least 10 ms and a liveness of at least 2");
  }
  GPOC_RETURN_IF_ERROR(s.lock_data_dir());
  GPOC_ASSIGN_OR_RETURN(s.ledger, ledger::Ledger::open(s.cfg.data_dir));
  bool created = false;
  GPOC_ASSIGN_OR_RETURN(s.pool_key,
                        load_or_create_key_file(s.cfg.data_dir / "scheduler.key", &created));
  if (created) spdlog::info("created pool key {}", (s.cfg.data_dir / "scheduler.key").string());
  verifier::PoolConfig pc;
  pc.pool_id = s.pool_key.public_key();
  pc.policy = s.cfg.policy;
  pc.heartbeat_interval_ms = s.cfg.heartbeat_interval_ms;
  pc.heartbeat_liveness = s.cfg.heartbeat_liveness;
  s.engine = std::make_unique<verifier::Engine>(pc);
  GPOC_ASSIGN_OR_RETURN(auto scores, s.ledger->scores());
  for (const auto& [w, sc] : scores) s.engine->set_score(w, sc);
  GPOC_ASSIGN_OR_RETURN(auto balances, s.ledger->balances());
  GPOC_ASSIGN_OR_RETURN(Accounts accounts, Accounts::restore(balances));
  s.engine->restore_accounts(std::move(accounts));
  GPOC_RETURN_IF_ERROR(s.resume_unfinished());
  s.next_seq = s.ledger->size() + 1;
  GPOC_RETURN_IF_ERROR(s.load_slas());
  GPOC_RETURN_IF_ERROR(s.record_policy());
  GPOC_ASSIGN_OR_RETURN(s.reader, ledger::Ledger::open(s.cfg.data_dir, /*read_only=*/true));
  if (!threaded) {
    s.writer = std::make_unique<CommitWriter<Outgoing>>(*s.ledger);
    return impl;
  }
  std::string wake_ep =
      "inproc://gpoc-commit-" + std::to_string(reinterpret_cast<std::uintptr_t>(&s));
  s.writer_wake.set(zmq::sockopt::linger, 0);
  s.writer_wake.bind(wake_ep);
  s.writer = std::make_unique<CommitWriter<Outgoing>>(*s.ledger, s.ctx.raw(), wake_ep);
  return impl;
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(SchedulerConfig config, const Clock& clock) {
  GPOC_ASSIGN_OR_RETURN(auto impl, Impl::open(std::move(config), clock, /*threaded=*/true));
  Impl& s = *impl;
  GPOC_RETURN_IF_ERROR(s.clients.status());
  GPOC_RETURN_IF_ERROR(s.workers.status());
  GPOC_ASSIGN_OR_RETURN(s.client_ep, s.clients.bind(s.cfg.client_endpoint));
  GPOC_ASSIGN_OR_RETURN(s.worker_ep, s.workers.bind(s.cfg.worker_endpoint));
  if (!s.cfg.ready_file.empty()) {
    std::filesystem::path tmp = s.cfg.ready_file;
    tmp += ".tmp";
    {
      std::ofstream out(tmp);
      out << "{\"client_endpoint\": \"" << s.client_ep << "\", \"worker_endpoint\": \""
          << s.worker_ep << "\", \"pool_id\": \"" << to_hex(s.pool_key.public_key())
          << "\", \"pid\": " << ::getpid() << "}\n";
    }
    std::filesystem::rename(tmp, s.cfg.ready_file);
  }
  spdlog::info("scheduler for pool {} on clients {} and workers {}; ledger {} entries",
               to_hex(s.pool_key.public_key()).substr(0, 16), s.client_ep, s.worker_ep,
               s.ledger->size());
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(impl)));
}

// One scheduler per data directory: a second one would resume the same tasks and fork the chain.
Status Scheduler::Impl::lock_data_dir() {
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  std::filesystem::path lock = cfg.data_dir / "scheduler.lock";
  lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return unavailable("cannot open " + lock.string());
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return failed_precondition("another scheduler is already using " + cfg.data_dir.string());
  }
  return ok_status();
}

Scheduler::Impl::~Impl() {
  if (lock_fd >= 0) ::close(lock_fd);
}

Scheduler::Scheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scheduler::~Scheduler() = default;
const std::string& Scheduler::client_endpoint() const { return impl_->client_ep; }
const std::string& Scheduler::worker_endpoint() const { return impl_->worker_ep; }
const PublicKey& Scheduler::pool_id() const { return impl_->pool_key.public_key(); }
SchedulerStats Scheduler::stats() const { return impl_->stats; }

Status Scheduler::run(const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  zmq::socket_t* socks[] = {&s.clients.raw(), &s.workers.raw(), &s.writer_wake};
  std::int64_t next_tick = s.now();
  while (!stop.load(std::memory_order_relaxed)) {
    std::int64_t wake_at = next_tick;
    if (std::int64_t due = s.flush_due_ms(); due >= 0) wake_at = std::min(wake_at, due);
    int wait = static_cast<int>(std::clamp<std::int64_t>(wake_at - s.now(), 0, 50));
    GPOC_ASSIGN_OR_RETURN(auto ready, transport::poll_readable(socks, wait));
    bool busy = false;
    for (std::size_t idx : ready) {
      if (idx == 2) {
        zmq::message_t m;
        while (s.writer_wake.recv(m, zmq::recv_flags::dontwait)) {}
        continue;
      }
      transport::RouterSocket& sock = idx == 0 ? s.clients : s.workers;
      for (int n = 0; n < kMessagesPerTurnMax; ++n) {
        GPOC_ASSIGN_OR_RETURN(auto in, sock.recv(0));
        if (!in) break;
        busy = true;
        s.handle(idx == 0 ? Side::clients : Side::workers, *in);
      }
    }
    std::int64_t now = s.now();
    if (busy || now >= next_tick) next_tick = s.turn(now);
    s.apply_actions();
    GPOC_RETURN_IF_ERROR(s.collect_commit());
    GPOC_RETURN_IF_ERROR(s.flush());
  }
  return s.drain();
}

}  // namespace gpoc::scheduler
