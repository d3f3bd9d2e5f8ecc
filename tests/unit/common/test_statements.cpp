#include <gtest/gtest.h>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/statements.hpp"

namespace gpoc {
namespace {

TaskSpec sample_spec() {
  TaskSpec s;
  s.kernel_id = "sha256";
  s.kernel_version = 1;
  s.input_digest = sha256(as_bytes("input"));
  s.input_bytes = 640;
  s.params = {{"record_bytes", "64"}};
  s.trust = 5;
  s.category = 0;
  s.min_replicas = 3;
  s.requester_key = SecretKey::from_seed(Bytes(32, 7)).public_key();
  s.requester_nonce = 42;
  return s;
}

TEST(TaskSpec, RoundTripsCanonically) {
  auto bytes = encode_task_spec(sample_spec());
  ASSERT_TRUE(bytes.ok());
  auto decoded = decode_task_spec(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, sample_spec());
  EXPECT_EQ(*encode_task_spec(*decoded), *bytes);
  // The layout starts with the domain tag and the kernel id length.
  EXPECT_EQ(std::string(bytes->begin(), bytes->begin() + 12), "gpoc.task.v1");
  EXPECT_EQ((*bytes)[12], 6);
}

TEST(TaskSpec, EveryTruncationAndTrailingByteIsRejected) {
  Bytes good = *encode_task_spec(sample_spec());
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_task_spec(ByteView(good).first(n)).ok()) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_task_spec(longer).ok());
}

TEST(TaskSpec, RejectsNonCanonicalOrOutOfLimitFields) {
  TaskSpec s = sample_spec();
  s.params = {{"b", "1"}, {"a", "2"}};
  EXPECT_FALSE(encode_task_spec(s).ok());  // unsorted
  EXPECT_TRUE(normalize_task_spec(s).ok());
  EXPECT_EQ(s.params[0].first, "a");
  s.params = {{"a", "1"}, {"a", "2"}};
  EXPECT_FALSE(normalize_task_spec(s).ok());
  s = sample_spec();
  s.trust = 0;
  EXPECT_FALSE(encode_task_spec(s).ok());
  s = sample_spec();
  s.kernel_id = "Sha-256";
  EXPECT_FALSE(encode_task_spec(s).ok());
  s = sample_spec();
  s.min_replicas = 0;
  EXPECT_FALSE(encode_task_spec(s).ok());
}

TEST(Contribution, RoundTripAndHashesAreBoundToTaskAndWorker) {
  ContributionStatement c;
  c.pool_id = SecretKey::from_seed(Bytes(32, 1)).public_key();
  c.task_id = sha256(as_bytes("t"));
  c.worker_key = SecretKey::from_seed(Bytes(32, 2)).public_key();
  Digest32 digest = sha256(as_bytes("out"));
  c.result_hash = result_hash(c.task_id, digest);
  c.result_seal = result_seal(c.worker_key, c.task_id, digest);
  c.output_bytes = 123;
  c.exec_class = "cpu-x86_64";
  Bytes b = encode_contribution(c);
  auto d = decode_contribution(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, c);
  for (std::size_t n = 0; n < b.size(); ++n)
    EXPECT_FALSE(decode_contribution(ByteView(b).first(n)).ok());
  // The vote is the same for every worker with the same digest; the seal is not.
  PublicKey other = SecretKey::from_seed(Bytes(32, 3)).public_key();
  EXPECT_NE(result_seal(other, c.task_id, digest), c.result_seal);
  EXPECT_EQ(result_hash(c.task_id, digest),
            sha256_concat({as_bytes("gpoc.hash"), ByteView(c.task_id), ByteView(digest)}));
  EXPECT_NE(result_hash(sha256(as_bytes("u")), digest), c.result_hash);
}

TEST(Register, RoundTrip) {
  RegisterStatement r;
  r.pool_id[0] = 1;
  r.challenge[31] = 9;
  r.worker_key[3] = 4;
  r.exec_class = "cuda-sm90";
  auto d = decode_register(encode_register(r));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, r);
  Bytes bad = encode_register(r);
  bad[0] = 'x';
  EXPECT_FALSE(decode_register(bad).ok());
}

// Seeds as in docs/PROTOCOL.md's worked example: worker 40 41 .. 5f, operator 60 61 .. 7f. The
// signature was computed independently (Python's `cryptography`, Ed25519 over the same bytes).
Bytes seed_from(std::uint8_t first) {
  Bytes b(32);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

TEST(Operator, StatementLayoutIsTagThenWorkerKey) {
  SecretKey worker = SecretKey::from_seed(seed_from(0x40));
  Bytes st = operator_statement(worker.public_key());
  EXPECT_EQ(to_hex(st),
            "67706f632e6f70657261746f722e7631"  // "gpoc.operator.v1"
            "2543b92ff1095511476adc8369db6ddc933665a11978dda1404ee1066ca9559d");
  SecretKey op = SecretKey::from_seed(seed_from(0x60));
  EXPECT_EQ(to_hex(op.public_key()),
            "174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5");
  Signature sig = sign_operator_statement(op, worker.public_key());
  EXPECT_EQ(to_hex(sig),
            "1335edb6cbd30894cca257137fb3115224fc4fdbe53387ce7638cfe567c77815"
            "ac48a84a6e2186dbcd8b1723be2f2961444f3a644b58f94a078eb8df1ccb3b02");
  EXPECT_TRUE(verify_operator_signature(op.public_key(), worker.public_key(), sig));
}

TEST(Operator, SignatureHoldsOnlyForTheCertifiedWorkerAndOperator) {
  SecretKey op = SecretKey::from_seed(seed_from(0x60));
  PublicKey worker = SecretKey::from_seed(seed_from(0x40)).public_key();
  PublicKey other = SecretKey::from_seed(seed_from(0x41)).public_key();
  Signature sig = sign_operator_statement(op, worker);
  EXPECT_FALSE(verify_operator_signature(op.public_key(), other, sig));
  EXPECT_FALSE(verify_operator_signature(other, worker, sig));  // not the signer
  // The tag binds it: the same key signed under another statement's tag does not certify.
  Bytes untagged(worker.begin(), worker.end());
  EXPECT_FALSE(verify_operator_signature(op.public_key(), worker, op.sign(untagged)));
  sig[0] ^= 1;
  EXPECT_FALSE(verify_operator_signature(op.public_key(), worker, sig));
}

}  // namespace
}  // namespace gpoc
