// Operator certificates: an operator's Ed25519 signature over one worker's key
// (gpoc.operator.v1, see docs/PROTOCOL.md), kept in a small JSON file that the worker presents
// when it registers. The scheduler never gives two replicas of one task to workers of one
// operator.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc::host {

struct OperatorCertificate {
  PublicKey operator_key{};
  PublicKey worker_key{};
  Signature signature{};  // by operator_key over "gpoc.operator.v1" || worker_key
  bool operator==(const OperatorCertificate&) const = default;
};

OperatorCertificate certify_worker(const SecretKey& operator_key, const PublicKey& worker_key);

// The file: one JSON object {"operator_key": hex, "worker_key": hex, "signature": hex}.
std::string operator_certificate_json(const OperatorCertificate& cert);
Result<OperatorCertificate> parse_operator_certificate(std::string_view json);
Result<OperatorCertificate> read_operator_certificate(const std::filesystem::path& path);
Status write_operator_certificate(const std::filesystem::path& path,
                                  const OperatorCertificate& cert);

// Ok when `cert` is for `worker_key` and its signature verifies; otherwise says which is wrong.
Status check_operator_certificate(const OperatorCertificate& cert, const PublicKey& worker_key);

}  // namespace gpoc::host
