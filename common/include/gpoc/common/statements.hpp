// The fixed-layout byte strings that are signed, hashed or voted on. docs/PROTOCOL.md gives each
// layout byte by byte. Decoders accept only the canonical encoding: encode(decode(b)) == b, so a
// signature is always checked over the exact bytes received.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc {

using TaskId = Digest32;

inline constexpr std::string_view kTaskTag = "gpoc.task.v1";
inline constexpr std::string_view kContributionTag = "gpoc.contribution.v1";
inline constexpr std::string_view kRegisterTag = "gpoc.register.v1";
inline constexpr std::string_view kOperatorTag = "gpoc.operator.v1";
inline constexpr std::string_view kResultHashTag = "gpoc.hash";
inline constexpr std::string_view kResultSealTag = "gpoc.seal";

inline constexpr std::size_t kKernelIdMax = 64;
inline constexpr std::size_t kParamsMax = 32;
inline constexpr std::size_t kParamKeyMax = 64;
inline constexpr std::size_t kParamValueMax = 256;
inline constexpr std::size_t kExecClassMax = 128;
inline constexpr std::uint32_t kMinReplicasMax = 64;

// What a requester asks for. task_id = SHA-256(encode(spec)).
struct TaskSpec {
  std::string kernel_id;
  std::uint32_t kernel_version = 1;
  Digest32 input_digest{};  // result_digest() of the input bytes
  std::uint64_t input_bytes = 0;
  std::vector<std::pair<std::string, std::string>> params;  // sorted by key, keys unique
  std::uint64_t trust = 1;                                  // credibility asked for: 1 - 1/trust
  std::uint32_t category = 0;      // index into the pool's categories (time T per category)
  std::uint32_t min_replicas = 1;  // quorum: agreeing replicas required whatever the scores
  PublicKey requester_key{};
  std::uint64_t requester_nonce = 0;

  const std::string* param(std::string_view key) const;
  bool operator==(const TaskSpec&) const = default;
};

// Sorts params by key; fails on duplicates or limits exceeded.
Status normalize_task_spec(TaskSpec& spec);
Result<Bytes> encode_task_spec(const TaskSpec& spec);
Result<TaskSpec> decode_task_spec(ByteView bytes);
inline TaskId task_id_of(ByteView spec_bytes) { return sha256(spec_bytes); }

// A worker's signed vote on a task (iExec PoCo contribute).
struct ContributionStatement {
  PublicKey pool_id{};
  TaskId task_id{};
  PublicKey worker_key{};
  Digest32 result_hash{};
  Digest32 result_seal{};
  std::uint64_t output_bytes = 0;
  std::string exec_class;
  bool operator==(const ContributionStatement&) const = default;
};

Bytes encode_contribution(const ContributionStatement& c);
Result<ContributionStatement> decode_contribution(ByteView bytes);

// result_hash = SHA-256("gpoc.hash" || task_id || digest): the vote.
Digest32 result_hash(const TaskId& task_id, const Digest32& digest);
// result_seal = SHA-256("gpoc.seal" || worker_key || task_id || digest): bound to the worker.
Digest32 result_seal(const PublicKey& worker_key, const TaskId& task_id, const Digest32& digest);

// A worker's answer to the scheduler's registration challenge: proves it holds its key.
struct RegisterStatement {
  PublicKey pool_id{};
  Digest32 challenge{};
  PublicKey worker_key{};
  std::string exec_class;
  bool operator==(const RegisterStatement&) const = default;
};

Bytes encode_register(const RegisterStatement& r);
Result<RegisterStatement> decode_register(ByteView bytes);

// An operator's certificate for one of its workers: the operator signs
// "gpoc.operator.v1" || worker_key (48 bytes). No pool id in it, so one certificate serves every
// pool; the scheduler never gives two replicas of one task to workers of one operator.
Bytes operator_statement(const PublicKey& worker_key);
Signature sign_operator_statement(const SecretKey& operator_key, const PublicKey& worker_key);
[[nodiscard]] bool verify_operator_signature(const PublicKey& operator_key,
                                             const PublicKey& worker_key, const Signature& sig);

}  // namespace gpoc
