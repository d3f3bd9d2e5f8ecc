// `gpoc operator certify`: an operator signs its workers' keys, so that no two replicas of one
// task go to workers of one operator.
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/host/operator_cert.hpp"

namespace gpoc::cli {
namespace {

constexpr const char* kOperatorFooter =
    "Why: one farm's fault or one owner then cannot supply two votes on the same task.\n"
    "Limit: an operator who hides its workers behind separate keys is not caught by this;\n"
    "only admission control (which worker keys may join a pool) stops that.\n\n"
    "  gpoc operator certify --operator-key op.key --worker-key worker-0.key --out w0.cert\n"
    "  gpoc worker --scheduler EP --key worker-0.key --operator-cert w0.cert";

// --worker-key: a key file (only its public key is read) or the public key as 64 hex characters.
Result<PublicKey> worker_key_of(const std::string& arg) {
  if (std::filesystem::exists(arg)) return key_file_public(arg);
  if (auto k = from_hex_array<32>(arg)) return *k;
  return invalid_argument("--worker-key '" + arg +
                          "' is neither a key file nor a 64-hex-character public key");
}

}  // namespace

void add_operator_command(CLI::App& app) {
  auto* op = app.add_subcommand(
      "operator",
      "Operators and their workers: an operator key certifies the workers one owner runs, and a "
      "pool never gives two replicas of one task to workers of one operator");
  op->require_subcommand(1);
  op->footer(kOperatorFooter);
  auto* cmd = op->add_subcommand(
      "certify",
      "Sign a worker's public key with the operator key and write the certificate (JSON) that "
      "`gpoc worker --operator-cert FILE` presents when it registers. The certificate names no "
      "pool: one serves every pool the worker joins");
  cmd->footer(kOperatorFooter);
  struct Opts {
    std::string operator_key;
    std::string worker_key;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--operator-key", o->operator_key,
                  "The operator's Ed25519 key file, in the worker key format (created with mode "
                  "0600 if it does not exist). Keep it off the worker hosts")
      ->required();
  cmd->add_option("--worker-key", o->worker_key,
                  "The worker's key file (only its public key is read) or its public key as 64 "
                  "hex characters (`cut -d' ' -f3 worker.key`)")
      ->required();
  cmd->add_option("--out", o->out, "Write the certificate here (default: print it on stdout)");
  cmd->callback([o] {
    auto worker = worker_key_of(o->worker_key);
    if (!worker.ok()) std::exit(fail(worker.status()));
    bool created = false;
    auto key = load_or_create_key_file(o->operator_key, &created);
    if (!key.ok()) std::exit(fail(key.status()));
    if (created) std::fprintf(stderr, "gpoc: created operator key %s\n", o->operator_key.c_str());
    host::OperatorCertificate cert = host::certify_worker(*key, *worker);
    if (o->out.empty()) {
      std::cout << host::operator_certificate_json(cert);
      std::exit(0);
    }
    if (Status s = host::write_operator_certificate(o->out, cert); !s.ok()) std::exit(fail(s));
    std::fprintf(stderr, "gpoc: operator %s certifies worker %s: %s\n",
                 short_hex(cert.operator_key, 16).c_str(), short_hex(cert.worker_key, 16).c_str(),
                 o->out.c_str());
    std::exit(0);
  });
}

}  // namespace gpoc::cli
