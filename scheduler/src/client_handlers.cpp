// Messages on the client endpoint: signed submissions (inline or chunked input), status and
// result queries.
#include <spdlog/spdlog.h>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "impl.hpp"

namespace gpoc::scheduler {

static wire::TaskState wire_state(int s) { return static_cast<wire::TaskState>(s); }

// Checks everything about a submission that needs neither its signature nor its input.
static Status check_submission(const TaskSpec& spec, const SchedulerConfig& cfg) {
  if (spec.category >= cfg.policy.category_time_ms.size()) {
    return invalid_argument("unknown category " + std::to_string(spec.category) +
                            "; this pool has " +
                            std::to_string(cfg.policy.category_time_ms.size()));
  }
  if (spec.input_bytes > cfg.input_bytes_max) {
    return resource_exhausted("input of " + std::to_string(spec.input_bytes) +
                              " bytes is above this pool's limit of " +
                              std::to_string(cfg.input_bytes_max));
  }
  auto out =
      kernels::validate_task(spec.kernel_id, spec.kernel_version, spec.params, spec.input_bytes);
  return out.ok() ? ok_status() : out.status();
}

static wire::ErrorCode submission_error(const Status& s) {
  switch (s.code()) {
    case ErrorCode::not_found:
      return wire::ERROR_UNKNOWN_KERNEL;  // the registry has no such kernel
    case ErrorCode::invalid_argument: return wire::ERROR_INVALID_INPUT;
    case ErrorCode::resource_exhausted: return wire::ERROR_TOO_LARGE;
    default: return transport::to_wire_error(s);
  }
}

// The state of a task this scheduler already knows, in memory or in the ledger.
std::optional<wire::TaskState> Scheduler::Impl::known_state(const TaskId& id) {
  if (auto view = engine->task_view(id)) return static_cast<wire::TaskState>(view->phase);
  if (receiving.count(id) != 0) return wire::TASK_RECEIVING;
  if (finalizing.count(id) != 0) return wire::TASK_UPLOADING;
  if (auto stored = reader->task(id); stored.ok() && stored->has_value())
    return wire_state((*stored)->state);
  return std::nullopt;
}

void Scheduler::Impl::on_submit(const std::string& peer, const wire::Envelope& env) {
  const wire::Submit& sub = env.submit();
  auto spec = decode_task_spec(as_bytes(sub.spec()));
  if (!spec.ok()) {
    ++stats.rejected_submissions;
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                      spec.status().message());
  }
  Receiving r;
  r.spec_bytes.assign(sub.spec().begin(), sub.spec().end());
  r.task_id = task_id_of(r.spec_bytes);
  r.spec = std::move(*spec);
  r.peer = peer;
  r.reply_to = env.message_id();
  r.notify = sub.notify();
  if (sub.signature().size() == r.signature.size()) {
    std::copy(sub.signature().begin(), sub.signature().end(), r.signature.begin());
  }
  // Nothing is said about a spec whose signature does not check, not even whether it exists.
  if (!verify_signature(r.spec.requester_key, r.spec_bytes, r.signature)) {
    ++stats.rejected_submissions;
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_BAD_SIGNATURE,
                      "requester signature does not verify over the spec bytes",
                      ByteView(r.task_id));
  }
  // The same spec again is the same task (task_id is its hash): answer, create nothing. The
  // original may still be in a batch being committed, so the answer waits for the next commit,
  // which lands after it: "submitted" always means durable.
  if (auto state = known_state(r.task_id)) {
    wire::Envelope out;
    out.set_reply_to(env.message_id());
    out.mutable_submitted()->set_task_id(r.task_id.data(), 32);
    out.mutable_submitted()->set_state(*state);
    out.mutable_submitted()->set_duplicate(true);
    if (sub.notify() && engine->has_task(r.task_id))
      watchers[r.task_id].emplace_back(peer, env.message_id());
    after_commit.push_back({Side::clients, peer, std::move(out)});
    return;
  }
  if (Status s = check_submission(r.spec, cfg); !s.ok()) {
    ++stats.rejected_submissions;
    return send_error(Side::clients, peer, env.message_id(), submission_error(s), s.message(),
                      ByteView(r.task_id));
  }
  if (sub.input_complete()) {
    Bytes input(sub.input().begin(), sub.input().end());
    return accept(r, std::move(input));
  }
  if (receiving.size() >= cfg.receiving_tasks_max) {
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_BUSY,
                      "too many uploads in progress; retry");
  }
  r.input = std::make_unique<transport::ChunkAssembler>(r.spec.input_bytes);
  r.started_ms = now();
  if (!sub.input().empty()) {
    wire::DataChunk first;
    first.set_task_id(r.task_id.data(), 32);
    first.set_offset(0);
    first.set_total_bytes(r.spec.input_bytes);
    first.set_data(sub.input());
    first.set_last(sub.input().size() == r.spec.input_bytes);
    auto added = r.input->add(first);
    if (!added.ok())
      return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                        added.status().message());
    if (*added) return accept(r, r.input->take());
  }
  TaskId id = r.task_id;
  receiving.emplace(id, std::move(r));
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  out.mutable_submitted()->set_task_id(id.data(), 32);
  out.mutable_submitted()->set_state(wire::TASK_RECEIVING);
  send(Side::clients, peer, std::move(out));
}

// A submission whose chunks stopped coming is dropped, so it cannot hold a receiving slot forever.
void Scheduler::Impl::expire_receiving(std::int64_t now_ms) {
  std::erase_if(receiving, [&](const auto& kv) {
    bool stale = now_ms - kv.second.started_ms > cfg.receiving_timeout_ms;
    if (stale)
      spdlog::info("dropping submission {}: its input stopped arriving",
                   to_hex(kv.first).substr(0, 16));
    return stale;
  });
}

void Scheduler::Impl::on_submit_chunk(const std::string& peer, const wire::Envelope& env) {
  const wire::DataChunk& chunk = env.submit_chunk();
  auto id = task_id_from(chunk.task_id());
  auto it = id ? receiving.find(*id) : receiving.end();
  if (it == receiving.end()) {
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_UNKNOWN_TASK,
                      "no submission awaiting input with that id");
  }
  auto added = it->second.input->add(chunk);
  if (!added.ok()) {
    receiving.erase(it);
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                      added.status().message() + "; submission dropped, submit again");
  }
  if (!*added) return;
  it->second.peer = peer;
  it->second.reply_to = env.message_id();
  Receiving r = std::move(it->second);
  receiving.erase(it);
  Bytes input = r.input->take();
  accept(r, std::move(input));
}

// The input is whole: check it against the signed spec, make the task durable, then start it.
void Scheduler::Impl::accept(Receiving& r, Bytes input) {
  if (input.size() != r.spec.input_bytes || result_digest(input) != r.spec.input_digest) {
    ++stats.rejected_submissions;
    return send_error(Side::clients, r.peer, r.reply_to, wire::ERROR_DIGEST_MISMATCH,
                      "input does not match the size and digest in the signed spec",
                      ByteView(r.task_id));
  }
  auto out_bytes =
      kernels::validate_task(r.spec.kernel_id, r.spec.kernel_version, r.spec.params, input.size());
  const kernels::KernelInfo* info = kernels::find_kernel(r.spec.kernel_id, r.spec.kernel_version);
  verifier::NewTask t;
  t.task_id = r.task_id;
  t.spec_bytes = r.spec_bytes;
  t.spec = r.spec;
  t.requester_signature = r.signature;
  t.expected_output_bytes = out_bytes.ok() ? *out_bytes : 0;
  t.class_bound = info != nullptr && info->determinism == kernels::Determinism::arch;
  t.certifiable = cfg.certify && certifiable(r.spec);
  t.submitted_ms = now();
  auto escrow = engine->add_task(std::move(t), now());
  if (!escrow.ok()) {
    const Status& s = escrow.status();
    wire::ErrorCode code = s.code() == ErrorCode::resource_exhausted ? wire::ERROR_BUSY
                           : s.code() == ErrorCode::failed_precondition
                               ? wire::ERROR_INSUFFICIENT_FUNDS
                           : s.code() == ErrorCode::unavailable ? wire::ERROR_BUSY
                                                                : transport::to_wire_error(s);
    ++stats.rejected_submissions;
    return send_error(Side::clients, r.peer, r.reply_to, code, s.message(), ByteView(r.task_id));
  }
  // The escrow is an entry of its own, so the books balance at every point of the chain.
  const verifier::PoolConfig& pc = engine->config();
  verifier::AcceptRecord acc;
  acc.task_id = r.task_id;
  acc.requester = r.spec.requester_key;
  acc.category = r.spec.category;
  acc.price = pc.policy.price(r.spec.category);
  acc.scheduler_stake = pc.policy.scheduler_stake(r.spec.category);
  acc.worker_stake = pc.policy.worker_stake(r.spec.category);
  acc.moves = std::move(*escrow);
  const std::uint64_t accept_seq = next_seq++;
  batch.append(std::string(verifier::kAcceptKind), verifier::encode_accept_record(acc), now());
  write_balances(acc.moves);
  ledger::StoredTask stored;
  stored.task_id = r.task_id;
  stored.spec = r.spec_bytes;
  stored.signature = r.signature;
  stored.input = input;
  stored.state = wire::TASK_PENDING;
  stored.submitted_ms = now();
  stored.ledger_seq = accept_seq;  // until its final record: the escrow to resume it with
  batch.put_task(std::move(stored));
  inputs[r.task_id] = std::move(input);
  if (r.notify) watchers[r.task_id].emplace_back(r.peer, r.reply_to);
  ++stats.accepted;
  wire::Envelope out;
  out.set_reply_to(r.reply_to);
  out.mutable_submitted()->set_task_id(r.task_id.data(), 32);
  out.mutable_submitted()->set_state(wire::TASK_PENDING);
  after_commit.push_back({Side::clients, r.peer, std::move(out)});
}

std::optional<wire::TaskStatus> Scheduler::Impl::status_of(const TaskId& id) {
  if (auto view = engine->task_view(id)) return to_wire_status(*view);
  if (auto f = finalizing.find(id); f != finalizing.end()) return f->second;
  if (receiving.count(id) != 0) {
    wire::TaskStatus st;
    st.set_task_id(id.data(), 32);
    st.set_state(wire::TASK_RECEIVING);
    return st;
  }
  auto stored = reader->task(id);
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  const ledger::StoredTask& t = **stored;
  wire::TaskStatus st;
  if (!t.status_blob.empty() &&
      st.ParseFromArray(t.status_blob.data(), static_cast<int>(t.status_blob.size()))) {
    st.set_ledger_seq(t.ledger_seq);
    return st;
  }
  st.set_task_id(id.data(), 32);
  st.set_state(wire_state(t.state));
  st.set_reason(t.reason);
  st.set_submitted_ms(t.submitted_ms);
  return st;
}

void Scheduler::Impl::on_status(const std::string& peer, const wire::Envelope& env) {
  auto id = task_id_from(env.status_request().task_id());
  if (!id)
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                      "task_id must be 32 bytes");
  auto st = status_of(*id);
  if (!st)
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_UNKNOWN_TASK,
                      "unknown task");
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  *out.mutable_task_status() = std::move(*st);
  send(Side::clients, peer, std::move(out));
}

void Scheduler::Impl::on_result(const std::string& peer, const wire::Envelope& env) {
  const auto& req = env.result_request();
  auto id = task_id_from(req.task_id());
  if (!id)
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                      "task_id must be 32 bytes");
  // A final record is visible to the reader before it is durable; its output is not served
  // until then (the status says UPLOADING meanwhile).
  if (finalizing.count(*id) != 0) {
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_WRONG_STATE,
                      "task is TASK_UPLOADING, no result to fetch yet", ByteView(*id));
  }
  if (!result_cache || result_cache->first != *id) {
    auto out = reader->output(*id);
    if (!out.ok() || !out->has_value()) {
      auto st = status_of(*id);
      std::string why = st ? "task is " + wire::TaskState_Name(st->state()) + ", no result to fetch"
                           : "unknown task";
      return send_error(Side::clients, peer, env.message_id(),
                        st ? wire::ERROR_WRONG_STATE : wire::ERROR_UNKNOWN_TASK, why,
                        ByteView(*id));
    }
    result_cache.emplace(*id, std::move(**out));
  }
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  std::size_t chunk =
      std::min<std::uint64_t>(req.length() == 0 ? transport::kDefaultChunkBytes : req.length(),
                              transport::kDefaultChunkBytes);
  *out.mutable_result_chunk() =
      transport::make_chunk(ByteView(*id), result_cache->second, req.offset(), chunk);
  send(Side::clients, peer, std::move(out));
}

void Scheduler::Impl::on_client_message(transport::Incoming& in) {
  switch (in.env.body_case()) {
    case wire::Envelope::kSubmit: return on_submit(in.peer, in.env);
    case wire::Envelope::kSubmitChunk: return on_submit_chunk(in.peer, in.env);
    case wire::Envelope::kStatusRequest: return on_status(in.peer, in.env);
    case wire::Envelope::kResultRequest: return on_result(in.peer, in.env);
    case wire::Envelope::kMintRequest: return on_mint(in.peer, in.env);
    case wire::Envelope::kAccountRequest: return on_account(in.peer, in.env);
    case wire::Envelope::kSlaOrder: return on_sla_order(in.peer, in.env);
    case wire::Envelope::kSlaQuery: return on_sla_query(in.peer, in.env);
    case wire::Envelope::kError: return;
    default:
      send_error(Side::clients, in.peer, in.env.message_id(), wire::ERROR_MALFORMED,
                 "message not accepted on the client endpoint");
  }
}

}  // namespace gpoc::scheduler
