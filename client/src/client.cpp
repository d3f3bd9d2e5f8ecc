#include "gpoc/client/client.hpp"

#include <sodium.h>

#include <cstdlib>
#include <thread>

#include "gpoc/common/clock.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/transport/chunks.hpp"
#include "gpoc/transport/envelope.hpp"

namespace gpoc::client {

std::string state_name(wire::TaskState s) {
  std::string n = wire::TaskState_Name(s);
  return n.rfind("TASK_", 0) == 0 ? n.substr(5) : n;
}

std::filesystem::path default_requester_key_path() {
  if (const char* k = std::getenv("GPOC_KEY"); k != nullptr && *k != '\0') return k;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x != '\0') {
    return std::filesystem::path(x) / "gpoc" / "requester.key";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".config" / "gpoc" / "requester.key";
}

Result<PreparedTask> prepare_task(const SubmitOptions& opts, ByteView input, const SecretKey& key) {
  TaskSpec spec;
  spec.kernel_id = opts.kernel;
  spec.kernel_version = opts.kernel_version;
  spec.input_digest = result_digest(input);
  spec.input_bytes = input.size();
  spec.params = opts.params;
  spec.trust = opts.trust;
  spec.category = opts.category;
  spec.min_replicas = opts.min_replicas;
  spec.requester_key = key.public_key();
  if (opts.nonce) {
    spec.requester_nonce = *opts.nonce;
  } else {
    randombytes_buf(&spec.requester_nonce, sizeof spec.requester_nonce);
  }
  GPOC_RETURN_IF_ERROR(normalize_task_spec(spec));
  PreparedTask t;
  GPOC_ASSIGN_OR_RETURN(t.spec_bytes, encode_task_spec(spec));
  t.task_id = task_id_of(t.spec_bytes);
  t.signature = key.sign(t.spec_bytes);
  auto* sub = t.envelope.mutable_submit();
  sub->set_spec(t.spec_bytes.data(), t.spec_bytes.size());
  sub->set_signature(t.signature.data(), t.signature.size());
  sub->set_notify(opts.notify);
  if (input.size() <= transport::kDefaultChunkBytes) {
    sub->set_input(input.data(), input.size());
    sub->set_input_complete(true);
  } else {
    sub->set_input_complete(false);
    t.extra_chunks = transport::split_chunks(ByteView(t.task_id), input);
  }
  return t;
}

Client::Client(std::string endpoint, const SecretKey& key, transport::Limits limits)
    : endpoint_(std::move(endpoint)), key_(key), socket_(ctx_, limits) {}

Status Client::connect() {
  GPOC_RETURN_IF_ERROR(socket_.status());
  return socket_.connect(endpoint_);
}

Result<wire::Envelope> Client::request(wire::Envelope env, int timeout_ms) {
  std::uint64_t id = env.message_id() != 0 ? env.message_id() : transport::next_message_id();
  env.set_message_id(id);
  GPOC_RETURN_IF_ERROR(socket_.send(env));
  std::int64_t deadline = monotonic_us() / 1000 + timeout_ms;
  for (;;) {
    std::int64_t left = deadline - monotonic_us() / 1000;
    if (left <= 0) {
      return Status(ErrorCode::deadline_exceeded, "no answer from the scheduler at " + endpoint_ +
                                                      " within " + std::to_string(timeout_ms) +
                                                      " ms");
    }
    GPOC_ASSIGN_OR_RETURN(auto reply, socket_.recv(static_cast<int>(left)));
    if (!reply) continue;
    if (reply->reply_to() == id) return std::move(*reply);
    if (unsolicited_.size() < 100'000) unsolicited_.push_back(std::move(*reply));
  }
}

std::deque<wire::Envelope> Client::take_unsolicited() {
  std::deque<wire::Envelope> out;
  out.swap(unsolicited_);
  return out;
}

static Status error_status(const wire::Error& e) {
  ErrorCode code = ErrorCode::failed_precondition;
  switch (e.code()) {
    case wire::ERROR_MALFORMED:
    case wire::ERROR_INVALID_INPUT:
    case wire::ERROR_UNKNOWN_KERNEL: code = ErrorCode::invalid_argument; break;
    case wire::ERROR_BAD_SIGNATURE: code = ErrorCode::unauthenticated; break;
    case wire::ERROR_UNKNOWN_TASK: code = ErrorCode::not_found; break;
    case wire::ERROR_BUSY:
    case wire::ERROR_TOO_LARGE: code = ErrorCode::resource_exhausted; break;
    case wire::ERROR_DIGEST_MISMATCH: code = ErrorCode::data_loss; break;
    case wire::ERROR_INSUFFICIENT_FUNDS: code = ErrorCode::failed_precondition; break;
    default: break;
  }
  return Status(code, e.message());
}

Result<wire::AccountStatus> Client::account(const PublicKey& account, std::uint32_t history,
                                            int timeout_ms) {
  wire::Envelope env;
  env.mutable_account_request()->set_account(account.data(), 32);
  env.mutable_account_request()->set_history_limit(history);
  GPOC_ASSIGN_OR_RETURN(wire::Envelope reply, request(std::move(env), timeout_ms));
  if (reply.has_error()) return error_status(reply.error());
  if (!reply.has_account_status()) return internal_error("unexpected reply to an account query");
  return reply.account_status();
}

Result<wire::AccountStatus> Client::mint(const SecretKey& pool_key, const PublicKey& to,
                                         Amount amount, std::string memo, int timeout_ms) {
  MintStatement m;
  m.pool_id = pool_key.public_key();
  m.account = to;
  m.amount = amount;
  randombytes_buf(&m.nonce, sizeof m.nonce);
  m.memo = std::move(memo);
  Bytes st = encode_mint(m);
  GPOC_RETURN_IF_ERROR(decode_mint(st).status());  // the same checks the scheduler makes
  Signature sig = pool_key.sign(st);
  wire::Envelope env;
  env.mutable_mint_request()->set_statement(st.data(), st.size());
  env.mutable_mint_request()->set_signature(sig.data(), sig.size());
  env.set_message_id(transport::next_message_id());
  GPOC_ASSIGN_OR_RETURN(wire::Envelope reply, request_retried(env, timeout_ms));
  if (!reply.has_account_status()) return internal_error("unexpected reply to a mint");
  return reply.account_status();
}

Result<wire::SlaInfo> Client::sla_order(wire::SlaOrder::Kind kind, const Bytes& statement,
                                        const Signature& signature, int timeout_ms) {
  wire::Envelope env;
  auto* o = env.mutable_sla_order();
  o->set_kind(kind);
  o->set_statement(statement.data(), statement.size());
  o->set_signature(signature.data(), signature.size());
  env.set_message_id(transport::next_message_id());
  GPOC_ASSIGN_OR_RETURN(wire::Envelope reply, request_retried(env, timeout_ms));
  if (!reply.has_sla_list() || reply.sla_list().slas_size() != 1)
    return internal_error("unexpected reply to an SLA order");
  return reply.sla_list().slas(0);
}

Result<wire::SlaList> Client::sla_query(const std::optional<Digest32>& id,
                                        const std::optional<PublicKey>& holder, int timeout_ms) {
  wire::Envelope env;
  auto* q = env.mutable_sla_query();
  if (id) q->set_sla_id(id->data(), id->size());
  if (holder) q->set_holder(holder->data(), holder->size());
  env.set_message_id(transport::next_message_id());
  GPOC_ASSIGN_OR_RETURN(wire::Envelope reply, request(std::move(env), timeout_ms));
  if (reply.has_error()) return error_status(reply.error());
  if (!reply.has_sla_list()) return internal_error("unexpected reply to an SLA query");
  return reply.sla_list();
}

Result<wire::Envelope> Client::request_retried(const wire::Envelope& env, int timeout_ms) {
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto reply = request(env, timeout_ms / 3 + 1);
    if (!reply.ok()) {
      last = reply.status();
      if (last.code() == ErrorCode::deadline_exceeded) continue;
      return last;
    }
    if (reply->has_error()) return error_status(reply->error());
    return reply;
  }
  return last;
}

Result<wire::Submitted> Client::submit(const PreparedTask& task, int timeout_ms) {
  // A lost reply is retried with the same message: the spec's hash makes a resubmission a
  // duplicate.
  GPOC_ASSIGN_OR_RETURN(wire::Envelope reply, request_retried(task.envelope, timeout_ms));
  if (!reply.has_submitted()) return internal_error("unexpected reply to a submission");
  wire::Submitted sub = reply.submitted();
  if (sub.state() != wire::TASK_RECEIVING || task.extra_chunks.empty()) return sub;
  wire::Envelope final_reply;
  for (std::size_t i = 0; i < task.extra_chunks.size(); ++i) {
    wire::Envelope c;
    *c.mutable_submit_chunk() = task.extra_chunks[i];
    if (i + 1 < task.extra_chunks.size()) {
      GPOC_RETURN_IF_ERROR(socket_.send(std::move(c)));
      continue;
    }
    GPOC_ASSIGN_OR_RETURN(final_reply, request(std::move(c), timeout_ms));
  }
  if (final_reply.has_error()) return error_status(final_reply.error());
  return final_reply.submitted();
}

Result<wire::TaskStatus> Client::status(const TaskId& id, int timeout_ms) {
  wire::Envelope env;
  env.mutable_status_request()->set_task_id(id.data(), 32);
  GPOC_ASSIGN_OR_RETURN(auto reply, request(std::move(env), timeout_ms));
  if (reply.has_error()) return error_status(reply.error());
  if (!reply.has_task_status()) return internal_error("unexpected reply to a status request");
  return reply.task_status();
}

Result<wire::TaskStatus> Client::wait(
    const TaskId& id, int timeout_ms,
    const std::function<void(const wire::TaskStatus&)>& progress) {
  std::int64_t deadline = monotonic_us() / 1000 + timeout_ms;
  int poll_ms = 20;
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(auto st, status(id, 5'000));
    if (progress) progress(st);
    if (st.state() == wire::TASK_COMPLETED || st.state() == wire::TASK_FAILED) return st;
    if (monotonic_us() / 1000 >= deadline) {
      return Status(
          ErrorCode::deadline_exceeded,
          "task still " + state_name(st.state()) + " after " + std::to_string(timeout_ms) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    poll_ms = std::min(poll_ms * 2, 500);
  }
}

Result<Bytes> Client::fetch_result(const TaskId& id, int timeout_ms) {
  GPOC_ASSIGN_OR_RETURN(auto st, status(id, timeout_ms));
  if (st.state() != wire::TASK_COMPLETED) {
    return failed_precondition("task is " + state_name(st.state()) +
                               (st.reason().empty() ? "" : ": " + st.reason()));
  }
  if (st.digest().size() != 32) return data_loss("completed task has no committed digest");
  transport::ChunkAssembler out(st.output_bytes());
  for (std::uint64_t offset = 0;;) {
    wire::Envelope env;
    env.mutable_result_request()->set_task_id(id.data(), 32);
    env.mutable_result_request()->set_offset(offset);
    env.mutable_result_request()->set_length(transport::kDefaultChunkBytes);
    GPOC_ASSIGN_OR_RETURN(auto reply, request(std::move(env), timeout_ms));
    if (reply.has_error()) return error_status(reply.error());
    GPOC_ASSIGN_OR_RETURN(bool done, out.add(reply.result_chunk()));
    if (done) break;
    offset = out.received_bytes();
  }
  Bytes data = out.take();
  Digest32 got = result_digest(data);
  if (to_hex(got) != to_hex(as_bytes(st.digest()))) {
    return data_loss("fetched output does not match the committed digest " +
                     to_hex(as_bytes(st.digest())));
  }
  return data;
}

}  // namespace gpoc::client
