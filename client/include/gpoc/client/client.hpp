// The requester's side of the protocol, for the CLI, the demo, the load generator and tests:
// build and sign a task spec, submit it (inline or in chunks), query status, wait for the end,
// and fetch a result checked against the committed digest.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/common/value.hpp"
#include "gpoc/proto/gpoc.pb.h"
#include "gpoc/transport/socket.hpp"

namespace gpoc::client {

struct SubmitOptions {
  std::string kernel;
  std::uint32_t kernel_version = 1;
  std::vector<std::pair<std::string, std::string>> params;
  std::uint64_t trust = 1;
  std::uint32_t category = 0;
  std::uint32_t min_replicas = 1;
  std::optional<std::uint64_t> nonce;  // random when unset: the same input twice is two tasks
  bool notify = false;                 // ask for a TaskStatus message when the task ends
};

// A signed submission, ready to send (the load generator prepares many ahead of time).
struct PreparedTask {
  TaskId task_id{};
  Bytes spec_bytes;
  Signature signature{};
  wire::Envelope envelope;  // the Submit message (first of several when the input is chunked)
  std::vector<wire::DataChunk> extra_chunks;
};

Result<PreparedTask> prepare_task(const SubmitOptions& opts, ByteView input, const SecretKey& key);

// "COMPLETED", "FAILED", ... from the wire enum.
std::string state_name(wire::TaskState s);

class Client {
 public:
  Client(std::string endpoint, const SecretKey& key, transport::Limits limits = {});
  Status connect();

  // Submits and waits for the scheduler's acknowledgement (the task is durable when it comes).
  Result<wire::Submitted> submit(const PreparedTask& task, int timeout_ms = 10'000);
  Result<wire::TaskStatus> status(const TaskId& id, int timeout_ms = 5'000);
  // Waits for COMPLETED or FAILED, polling status; `progress` sees each status on the way.
  Result<wire::TaskStatus> wait(const TaskId& id, int timeout_ms,
                                const std::function<void(const wire::TaskStatus&)>& progress = {});
  // Fetches the output in chunks and checks it against the committed digest before returning it.
  Result<Bytes> fetch_result(const TaskId& id, int timeout_ms = 30'000);

  // An account's balance and up to `history` of its latest ledger entries.
  Result<wire::AccountStatus> account(const PublicKey& account, std::uint32_t history = 0,
                                      int timeout_ms = 5'000);
  // The operator's mint: signed with the pool's own key (its scheduler.key). Retried with the
  // same statement on a lost reply, which the scheduler mints only once.
  Result<wire::AccountStatus> mint(const SecretKey& pool_key, const PublicKey& to, Amount amount,
                                   std::string memo, int timeout_ms = 10'000);

  // SLAs. An order (create: the terms signed with the pool's key; stake or withdraw: a statement
  // signed with the staker's key) is retried with the same bytes on a lost reply and applied once;
  // the reply holds the SLA once the order is durable.
  Result<wire::SlaInfo> sla_order(wire::SlaOrder::Kind kind, const Bytes& statement,
                                  const Signature& signature, int timeout_ms = 10'000);
  // One SLA (id given) or all of them, with `holder`'s positions when given.
  Result<wire::SlaList> sla_query(const std::optional<Digest32>& id,
                                  const std::optional<PublicKey>& holder, int timeout_ms = 5'000);

  // Sends one request and returns the reply to it; other messages are kept for take_unsolicited.
  Result<wire::Envelope> request(wire::Envelope env, int timeout_ms);
  std::deque<wire::Envelope> take_unsolicited();
  transport::DealerSocket& socket() { return socket_; }

 private:
  // request() up to three times with the same message (its id too) while no answer comes; an
  // Error reply becomes the returned status.
  Result<wire::Envelope> request_retried(const wire::Envelope& env, int timeout_ms);

  std::string endpoint_;
  const SecretKey& key_;
  transport::Context ctx_;
  transport::DealerSocket socket_;
  std::deque<wire::Envelope> unsolicited_;
};

// The default requester key: $GPOC_KEY, else $XDG_CONFIG_HOME/gpoc/requester.key, else
// ~/.config/gpoc/requester.key.
std::filesystem::path default_requester_key_path();

}  // namespace gpoc::client
