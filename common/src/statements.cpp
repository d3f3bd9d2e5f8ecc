#include "gpoc/common/statements.hpp"

#include <algorithm>

namespace gpoc {

const std::string* TaskSpec::param(std::string_view key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

static bool valid_kernel_id(std::string_view id) {
  if (id.empty() || id.size() > kKernelIdMax) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

static Status check_spec_fields(const TaskSpec& s) {
  if (!valid_kernel_id(s.kernel_id)) {
    return invalid_argument("kernel id must be 1-64 characters of [a-z0-9_]");
  }
  if (s.params.size() > kParamsMax) return invalid_argument("at most 32 parameters");
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    const auto& [k, v] = s.params[i];
    if (k.empty() || k.size() > kParamKeyMax)
      return invalid_argument("parameter key must be 1-64 bytes");
    if (v.size() > kParamValueMax)
      return invalid_argument("parameter '" + k + "' is longer than 256 bytes");
    if (i > 0 && s.params[i - 1].first >= k) {
      return invalid_argument("parameters must be sorted by key with no duplicates");
    }
  }
  if (s.trust == 0) return invalid_argument("trust must be at least 1");
  if (s.min_replicas == 0 || s.min_replicas > kMinReplicasMax) {
    return invalid_argument("min_replicas must be between 1 and 64");
  }
  return ok_status();
}

Status normalize_task_spec(TaskSpec& spec) {
  std::sort(spec.params.begin(), spec.params.end());
  for (std::size_t i = 1; i < spec.params.size(); ++i) {
    if (spec.params[i - 1].first == spec.params[i].first) {
      return invalid_argument("parameter '" + spec.params[i].first + "' given twice");
    }
  }
  return check_spec_fields(spec);
}

Result<Bytes> encode_task_spec(const TaskSpec& s) {
  GPOC_RETURN_IF_ERROR(check_spec_fields(s));
  ByteWriter w(160);
  w.raw(kTaskTag);
  w.u8(static_cast<std::uint8_t>(s.kernel_id.size()));
  w.raw(s.kernel_id);
  w.u32(s.kernel_version);
  w.raw(s.input_digest);
  w.u64(s.input_bytes);
  w.u8(static_cast<std::uint8_t>(s.params.size()));
  for (const auto& [k, v] : s.params) {
    w.u8(static_cast<std::uint8_t>(k.size()));
    w.raw(k);
    w.u16(static_cast<std::uint16_t>(v.size()));
    w.raw(v);
  }
  w.u64(s.trust);
  w.u32(s.category);
  w.u32(s.min_replicas);
  w.raw(s.requester_key);
  w.u64(s.requester_nonce);
  return std::move(w).take();
}

Result<TaskSpec> decode_task_spec(ByteView bytes) {
  ByteReader r(bytes);
  TaskSpec s;
  std::uint8_t id_len = 0, n_params = 0;
  if (!r.expect(kTaskTag)) return invalid_argument("task spec: missing tag gpoc.task.v1");
  if (!r.u8(id_len) || !r.string(id_len, s.kernel_id) || !r.u32(s.kernel_version) ||
      !r.raw(s.input_digest) || !r.u64(s.input_bytes) || !r.u8(n_params)) {
    return invalid_argument("task spec: truncated");
  }
  for (std::uint8_t i = 0; i < n_params; ++i) {
    std::uint8_t kl = 0;
    std::uint16_t vl = 0;
    std::string k, v;
    if (!r.u8(kl) || !r.string(kl, k) || !r.u16(vl) || !r.string(vl, v)) {
      return invalid_argument("task spec: truncated parameter");
    }
    s.params.emplace_back(std::move(k), std::move(v));
  }
  if (!r.u64(s.trust) || !r.u32(s.category) || !r.u32(s.min_replicas) || !r.raw(s.requester_key) ||
      !r.u64(s.requester_nonce)) {
    return invalid_argument("task spec: truncated");
  }
  if (!r.at_end()) return invalid_argument("task spec: trailing bytes");
  GPOC_RETURN_IF_ERROR(check_spec_fields(s).with_context("task spec"));
  return s;
}

Bytes encode_contribution(const ContributionStatement& c) {
  ByteWriter w(kContributionTag.size() + 5 * 32 + 8 + 1 + c.exec_class.size());
  w.raw(kContributionTag);
  w.raw(c.pool_id);
  w.raw(c.task_id);
  w.raw(c.worker_key);
  w.raw(c.result_hash);
  w.raw(c.result_seal);
  w.u64(c.output_bytes);
  w.u8(static_cast<std::uint8_t>(std::min(c.exec_class.size(), kExecClassMax)));
  w.raw(std::string_view(c.exec_class).substr(0, kExecClassMax));
  return std::move(w).take();
}

Result<ContributionStatement> decode_contribution(ByteView bytes) {
  ByteReader r(bytes);
  ContributionStatement c;
  std::uint8_t cl = 0;
  if (!r.expect(kContributionTag))
    return invalid_argument("contribution: missing tag gpoc.contribution.v1");
  if (!r.raw(c.pool_id) || !r.raw(c.task_id) || !r.raw(c.worker_key) || !r.raw(c.result_hash) ||
      !r.raw(c.result_seal) || !r.u64(c.output_bytes) || !r.u8(cl) || cl > kExecClassMax ||
      !r.string(cl, c.exec_class)) {
    return invalid_argument("contribution: truncated or malformed");
  }
  if (!r.at_end()) return invalid_argument("contribution: trailing bytes");
  return c;
}

Digest32 result_hash(const TaskId& task_id, const Digest32& digest) {
  return sha256_concat({as_bytes(kResultHashTag), ByteView(task_id), ByteView(digest)});
}

Digest32 result_seal(const PublicKey& worker_key, const TaskId& task_id, const Digest32& digest) {
  return sha256_concat(
      {as_bytes(kResultSealTag), ByteView(worker_key), ByteView(task_id), ByteView(digest)});
}

Bytes encode_register(const RegisterStatement& s) {
  ByteWriter w(kRegisterTag.size() + 96 + 1 + s.exec_class.size());
  w.raw(kRegisterTag);
  w.raw(s.pool_id);
  w.raw(s.challenge);
  w.raw(s.worker_key);
  w.u8(static_cast<std::uint8_t>(std::min(s.exec_class.size(), kExecClassMax)));
  w.raw(std::string_view(s.exec_class).substr(0, kExecClassMax));
  return std::move(w).take();
}

Result<RegisterStatement> decode_register(ByteView bytes) {
  ByteReader r(bytes);
  RegisterStatement s;
  std::uint8_t cl = 0;
  if (!r.expect(kRegisterTag)) return invalid_argument("register: missing tag gpoc.register.v1");
  if (!r.raw(s.pool_id) || !r.raw(s.challenge) || !r.raw(s.worker_key) || !r.u8(cl) ||
      cl > kExecClassMax || !r.string(cl, s.exec_class)) {
    return invalid_argument("register: truncated or malformed");
  }
  if (!r.at_end()) return invalid_argument("register: trailing bytes");
  return s;
}

Bytes operator_statement(const PublicKey& worker_key) {
  ByteWriter w(kOperatorTag.size() + worker_key.size());
  w.raw(kOperatorTag);
  w.raw(worker_key);
  return std::move(w).take();
}

Signature sign_operator_statement(const SecretKey& operator_key, const PublicKey& worker_key) {
  return operator_key.sign(operator_statement(worker_key));
}

bool verify_operator_signature(const PublicKey& operator_key, const PublicKey& worker_key,
                               const Signature& sig) {
  return verify_signature(operator_key, operator_statement(worker_key), sig);
}

}  // namespace gpoc
