#include "gpoc/host/operator_cert.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/statements.hpp"

namespace gpoc::host {

// Certificates are a few hundred bytes; anything much larger is not one.
static constexpr std::size_t kCertificateBytesMax = 4096;

OperatorCertificate certify_worker(const SecretKey& operator_key, const PublicKey& worker_key) {
  return {operator_key.public_key(), worker_key, sign_operator_statement(operator_key, worker_key)};
}

std::string operator_certificate_json(const OperatorCertificate& cert) {
  nlohmann::ordered_json j;
  j["operator_key"] = to_hex(cert.operator_key);
  j["worker_key"] = to_hex(cert.worker_key);
  j["signature"] = to_hex(cert.signature);
  return j.dump(2) + "\n";
}

template <std::size_t N>
static Status hex_field(const nlohmann::json& j, const char* name,
                        std::array<std::uint8_t, N>& out) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return invalid_argument(std::string("operator certificate has no \"") + name + "\" string");
  }
  auto v = from_hex_array<N>(it->get<std::string>());
  if (!v) {
    return invalid_argument(std::string("operator certificate: \"") + name + "\" must be " +
                            std::to_string(2 * N) + " hex characters");
  }
  out = *v;
  return ok_status();
}

Result<OperatorCertificate> parse_operator_certificate(std::string_view json) {
  if (json.size() > kCertificateBytesMax) {
    return invalid_argument("operator certificate is larger than 4096 bytes");
  }
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return invalid_argument("operator certificate is not a JSON object");
  OperatorCertificate cert;
  GPOC_RETURN_IF_ERROR(hex_field(j, "operator_key", cert.operator_key));
  GPOC_RETURN_IF_ERROR(hex_field(j, "worker_key", cert.worker_key));
  GPOC_RETURN_IF_ERROR(hex_field(j, "signature", cert.signature));
  return cert;
}

Result<OperatorCertificate> read_operator_certificate(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read operator certificate " + path.string());
  std::string text(kCertificateBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto cert = parse_operator_certificate(text);
  if (!cert.ok()) return cert.status().with_context(path.string());
  return cert;
}

Status write_operator_certificate(const std::filesystem::path& path,
                                  const OperatorCertificate& cert) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return unavailable("cannot create " + path.parent_path().string() + ": " + ec.message());
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << operator_certificate_json(cert);
    out.flush();
    if (!out) return unavailable("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return unavailable("cannot rename " + tmp.string() + " into place: " + ec.message());
  return ok_status();
}

Status check_operator_certificate(const OperatorCertificate& cert, const PublicKey& worker_key) {
  if (cert.worker_key != worker_key) {
    return invalid_argument("operator certificate is for worker " +
                            to_hex(cert.worker_key).substr(0, 16) + ", not for this worker " +
                            to_hex(worker_key).substr(0, 16));
  }
  if (!verify_operator_signature(cert.operator_key, cert.worker_key, cert.signature)) {
    return unauthenticated("operator certificate's signature does not verify: operator " +
                           to_hex(cert.operator_key).substr(0, 16) + " did not sign worker " +
                           to_hex(worker_key).substr(0, 16));
  }
  return ok_status();
}

}  // namespace gpoc::host
