// Messages on the worker endpoint: registration (challenge-response), heartbeats, input fetches,
// contributions, reveals, output uploads and failure reports.
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "impl.hpp"

namespace gpoc::scheduler {

std::optional<TaskId> task_id_from(const std::string& bytes) { return fixed_bytes<32>(bytes); }

static constexpr std::size_t kKernelsPerWorkerMax = 256;
static constexpr std::size_t kSessionsMax = 4096;
// Keys are free to make; until workers are admitted by an allow-list, their number is capped.
static constexpr std::size_t kWorkersMax = 10'000;

void Scheduler::Impl::on_hello(const std::string& peer, const wire::Envelope& env) {
  const std::string& key = env.hello().worker_key();
  if (key.size() != 32) {
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_MALFORMED,
               "worker_key must be 32 bytes");
    return;
  }
  // Every connection that says hello gets a session; ones that never register must not pile up.
  if (sessions.size() >= kSessionsMax && sessions.count(peer) == 0) {
    std::erase_if(sessions, [](const auto& kv) { return !kv.second.registered; });
    if (sessions.size() >= kSessionsMax) {
      send_error(Side::workers, peer, env.message_id(), wire::ERROR_BUSY,
                 "too many worker connections");
      return;
    }
  }
  WorkerSession& s = sessions[peer];
  std::copy(key.begin(), key.end(), s.key.begin());
  randombytes_buf(s.challenge.data(), s.challenge.size());
  s.challenged = true;
  s.registered = false;
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  auto* c = out.mutable_challenge();
  c->set_pool_id(pool_key.public_key().data(), 32);
  c->set_challenge(s.challenge.data(), s.challenge.size());
  send(Side::workers, peer, std::move(out));
}

// The operator a registration names: the certifying operator's key when `operator_key` and
// `operator_signature` are set and the signature covers this worker's key, the worker's own key
// when both are empty; nullopt (refuse) otherwise.
static std::optional<PublicKey> operator_of(const wire::Register& reg, const PublicKey& worker) {
  if (reg.operator_key().empty() && reg.operator_signature().empty()) return worker;
  auto key = fixed_bytes<32>(reg.operator_key());
  auto sig = fixed_bytes<64>(reg.operator_signature());
  if (!key || !sig || !verify_operator_signature(*key, worker, *sig)) return std::nullopt;
  return *key;
}

void Scheduler::Impl::on_register(const std::string& peer, const wire::Envelope& env) {
  auto it = sessions.find(peer);
  const wire::Register& reg = env.register_();
  if (it == sessions.end() || !it->second.challenged) {
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_NOT_REGISTERED,
               "send hello first");
    return;
  }
  WorkerSession& s = it->second;
  auto st = decode_register(as_bytes(reg.statement()));
  Signature sig{};
  bool sig_ok = reg.signature().size() == sig.size();
  if (sig_ok) std::copy(reg.signature().begin(), reg.signature().end(), sig.begin());
  if (!st.ok() || st->pool_id != pool_key.public_key() || st->challenge != s.challenge ||
      st->worker_key != s.key || !sig_ok ||
      !verify_signature(s.key, as_bytes(reg.statement()), sig)) {
    s.challenged = false;  // one answer per challenge
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_BAD_SIGNATURE,
               "registration does not answer this pool's challenge with the worker's key");
    return;
  }
  auto operator_key = operator_of(reg, s.key);
  if (!operator_key) {
    s.challenged = false;
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_BAD_SIGNATURE,
               "operator certificate does not sign this worker's key (operator_key must be 32 "
               "bytes and operator_signature 64, over gpoc.operator.v1 || worker_key)");
    return;
  }
  if (reg.kernels_size() > static_cast<int>(kKernelsPerWorkerMax)) {
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_TOO_LARGE,
               "too many kernels listed");
    return;
  }
  std::set<std::string> kernels(reg.kernels().begin(), reg.kernels().end());
  auto old = peer_of.find(s.key);
  if (old == peer_of.end() && peer_of.size() >= kWorkersMax) {
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_BUSY,
               "this pool has its maximum number of workers");
    return;
  }
  if (old != peer_of.end() && old->second != peer) sessions.erase(old->second);  // reconnected
  peer_of[s.key] = peer;
  s.registered = true;
  s.challenged = false;
  engine->worker_registered(s.key, *operator_key, st->exec_class,
                            reg.slots() == 0 ? 1 : reg.slots(), std::move(kernels), now());
  sla_monitor->seen(s.key, now());
  spdlog::info("worker {} registered: {} ({}, {} slots){}", to_hex(s.key).substr(0, 16),
               st->exec_class, reg.device().name(), reg.slots(),
               *operator_key == s.key ? "" : ", operator " + to_hex(*operator_key).substr(0, 16));
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  auto* r = out.mutable_registered();
  r->set_pool_id(pool_key.public_key().data(), 32);
  r->set_heartbeat_interval_ms(static_cast<std::uint32_t>(cfg.heartbeat_interval_ms));
  r->set_heartbeat_liveness(cfg.heartbeat_liveness);
  r->set_score(engine->score(s.key));
  send(Side::workers, peer, std::move(out));
}

void Scheduler::Impl::on_input_request(const std::string& peer, const wire::Envelope& env) {
  const auto& req = env.input_request();
  auto id = task_id_from(req.task_id());
  auto it = id ? inputs.find(*id) : inputs.end();
  if (it == inputs.end()) {
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_UNKNOWN_TASK,
               "no active task with that id");
    return;
  }
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  std::size_t chunk =
      std::min<std::uint64_t>(req.length() == 0 ? transport::kDefaultChunkBytes : req.length(),
                              transport::kDefaultChunkBytes);
  *out.mutable_input_chunk() =
      transport::make_chunk(ByteView(*id), it->second, req.offset(), chunk);
  send(Side::workers, peer, std::move(out));
}

void Scheduler::Impl::on_output_chunk(const PublicKey& worker, const std::string& peer,
                                      const wire::Envelope& env) {
  const wire::DataChunk& chunk = env.output_chunk();
  auto id = task_id_from(chunk.task_id());
  if (!id || engine->uploader(*id) != worker) {
    send_error(Side::workers, peer, env.message_id(), wire::ERROR_WRONG_STATE,
               "no upload was requested from you", as_bytes(chunk.task_id()));
    return;
  }
  Upload& up = uploads[*id];
  // A chunk at offset 0 starts the upload over (the worker was asked again after a loss).
  if (!up.output || up.worker != worker || chunk.offset() == 0) {
    up.worker = worker;
    up.output = std::make_unique<transport::ChunkAssembler>(ledger::kBlobBytesMax);
  }
  auto added = up.output->add(chunk);
  if (!added.ok()) {
    uploads.erase(*id);
    send_error(Side::workers, peer, env.message_id(), transport::to_wire_error(added.status()),
               added.status().message(), ByteView(*id));
    return;
  }
  if (!*added) return;
  Bytes output = up.output->take();
  uploads.erase(*id);
  // The worker sends its reveal before its output, but the two can arrive the other way round
  // (a reconnect between them): keep the output until a reveal makes it checkable, rather than
  // refusing it and waiting a reveal window for the worker to be asked again.
  if (!engine->digest_revealed(*id)) {
    early_outputs[*id] = EarlyOutput{worker, peer, env.message_id(), std::move(output)};
    return;
  }
  accept_output(worker, peer, env.message_id(), *id, std::move(output));
}

void Scheduler::Impl::accept_output(const PublicKey& worker, const std::string& peer,
                                    std::uint64_t message_id, const TaskId& id, Bytes output) {
  Digest32 digest = result_digest(output);
  std::uint64_t size = output.size();
  outputs[id] = std::move(output);
  Status s = engine->on_upload(worker, id, digest, size, now());
  if (!s.ok()) outputs.erase(id);
  refuse_if_error(peer, message_id, s, ByteView(id));
}

// Accepted worker messages get no reply: what the worker needs next (a reveal request, an upload
// request, an abort) is the acknowledgement. A refusal is always answered, with the reason.
void Scheduler::Impl::refuse_if_error(const std::string& peer, std::uint64_t reply_to,
                                      const Status& s, ByteView task_id) {
  if (!s.ok())
    send_error(Side::workers, peer, reply_to, transport::to_wire_error(s), s.message(), task_id);
}

void Scheduler::Impl::on_worker_message(transport::Incoming& in) {
  const wire::Envelope& env = in.env;
  switch (env.body_case()) {
    case wire::Envelope::kHello: return on_hello(in.peer, env);
    case wire::Envelope::kRegister: return on_register(in.peer, env);
    default: break;
  }
  auto it = sessions.find(in.peer);
  if (it == sessions.end() || !it->second.registered) {
    send_error(Side::workers, in.peer, env.message_id(), wire::ERROR_NOT_REGISTERED,
               "register first");
    return;
  }
  const PublicKey worker = it->second.key;
  if (!engine->worker_known(worker)) {
    // Declared lost (silent too long): its replicas were replaced. It must register again, and
    // telling it so is what makes it do that.
    it->second.registered = false;
    spdlog::info("worker {} was declared lost; asking it to register again",
                 to_hex(worker).substr(0, 16));
    send_error(Side::workers, in.peer, env.message_id(), wire::ERROR_NOT_REGISTERED,
               "this worker was declared lost; register again");
    return;
  }
  engine->worker_seen(worker, now());
  sla_monitor->seen(worker, now());
  switch (env.body_case()) {
    case wire::Envelope::kHeartbeat: {
      wire::Envelope hb;
      hb.mutable_heartbeat();
      return send(Side::workers, in.peer, std::move(hb));
    }
    case wire::Envelope::kInputRequest: return on_input_request(in.peer, env);
    case wire::Envelope::kOutputChunk: return on_output_chunk(worker, in.peer, env);
    case wire::Envelope::kContribution: {
      const auto& c = env.contribution();
      Signature sig{};
      Status s = invalid_argument("signature must be 64 bytes");
      if (c.signature().size() == sig.size()) {
        std::copy(c.signature().begin(), c.signature().end(), sig.begin());
        s = engine->on_contribution(worker, as_bytes(c.statement()), sig, now());
      }
      return refuse_if_error(in.peer, env.message_id(), s, {});
    }
    case wire::Envelope::kReveal: {
      auto id = task_id_from(env.reveal().task_id());
      auto digest = task_id_from(env.reveal().digest());
      Status s = (id && digest) ? engine->on_reveal(worker, *id, *digest, now())
                                : invalid_argument("task_id and digest must be 32 bytes");
      refuse_if_error(in.peer, env.message_id(), s, as_bytes(env.reveal().task_id()));
      auto early = id ? early_outputs.find(*id) : early_outputs.end();
      if (early != early_outputs.end() && engine->digest_revealed(*id)) {
        EarlyOutput e = std::move(early->second);
        early_outputs.erase(early);
        if (engine->uploader(*id) == e.worker)
          accept_output(e.worker, e.peer, e.message_id, *id, std::move(e.output));
      }
      return;
    }
    case wire::Envelope::kTaskFailure: {
      auto id = task_id_from(env.task_failure().task_id());
      // Peer text is echoed into status replies: keep it short and valid UTF-8.
      if (id)
        (void)engine->on_task_failure(
            worker, *id, transport::valid_utf8(env.task_failure().reason(), 512), now());
      return;
    }
    case wire::Envelope::kAck:
    case wire::Envelope::kError: return;  // workers acknowledge aborts; nothing to do
    default:
      send_error(Side::workers, in.peer, env.message_id(), wire::ERROR_MALFORMED,
                 "message not accepted on the worker endpoint");
  }
}

}  // namespace gpoc::scheduler
