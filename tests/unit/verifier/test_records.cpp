#include <gtest/gtest.h>

#include "gpoc/verifier/records.hpp"

namespace gpoc::verifier {
namespace {

TaskRecord make_record(const SecretKey& pool, const SecretKey& req, const SecretKey& worker) {
  TaskSpec s;
  s.kernel_id = "sort_u32";
  s.requester_key = req.public_key();
  TaskRecord r;
  r.spec = *encode_task_spec(s);
  r.task_id = task_id_of(r.spec);
  r.requester_signature = req.sign(r.spec);
  r.completed = true;
  r.digest = sha256(as_bytes("digest"));
  r.output_bytes = 40;
  r.submitted_ms = 5;
  r.consensus_ms = 7;
  r.finished_ms = 9;
  ContributionStatement c{pool.public_key(),
                          r.task_id,
                          worker.public_key(),
                          result_hash(r.task_id, r.digest),
                          result_seal(worker.public_key(), r.task_id, r.digest),
                          40,
                          "cpu"};
  ContributionRecord cr;
  cr.worker = worker.public_key();
  cr.statement = encode_contribution(c);
  cr.signature = worker.sign(cr.statement);
  cr.weight = 2;
  cr.score_after = 1;
  cr.outcome = Outcome::winner;
  r.contributions.push_back(cr);
  return r;
}

TEST(Records, RoundTripAndAudit) {
  auto pool = SecretKey::from_seed(Bytes(32, 1)), req = SecretKey::from_seed(Bytes(32, 2)),
       w = SecretKey::from_seed(Bytes(32, 3));
  TaskRecord r = make_record(pool, req, w);
  Bytes b = encode_task_record(r);
  auto d = decode_task_record(b);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(*d, r);
  EXPECT_TRUE(audit_task_record(*d, pool.public_key()).ok());
  for (std::size_t n = 0; n < b.size(); n += 7)
    EXPECT_FALSE(decode_task_record(ByteView(b).first(n)).ok());
}

TEST(Records, AuditCatchesEveryKindOfTampering) {
  auto pool = SecretKey::from_seed(Bytes(32, 1)), req = SecretKey::from_seed(Bytes(32, 2)),
       w = SecretKey::from_seed(Bytes(32, 3));
  TaskRecord r = make_record(pool, req, w);
  TaskRecord t = r;
  t.digest[0] ^= 1;  // the winner's vote no longer matches the digest
  EXPECT_EQ(audit_task_record(t, pool.public_key()).code(), ErrorCode::data_loss);
  t = r;
  t.requester_signature[0] ^= 1;
  EXPECT_EQ(audit_task_record(t, pool.public_key()).code(), ErrorCode::unauthenticated);
  t = r;
  t.contributions[0].signature[3] ^= 1;
  EXPECT_EQ(audit_task_record(t, pool.public_key()).code(), ErrorCode::unauthenticated);
  t = r;
  t.task_id[0] ^= 1;
  EXPECT_FALSE(audit_task_record(t, pool.public_key()).ok());
  EXPECT_FALSE(audit_task_record(r, req.public_key()).ok());  // wrong pool
}

TEST(Records, TrustBitsIsTheCeilingOfLog2) {
  EXPECT_EQ(trust_bits(0), 0u);
  EXPECT_EQ(trust_bits(1), 0u);
  EXPECT_EQ(trust_bits(2), 1u);
  EXPECT_EQ(trust_bits(3), 2u);
  EXPECT_EQ(trust_bits(4), 2u);
  EXPECT_EQ(trust_bits(5), 3u);
  EXPECT_EQ(trust_bits(1000), 10u);
  EXPECT_EQ(trust_bits(1024), 10u);
  EXPECT_EQ(trust_bits(UINT64_MAX), 64u);
}

// A record without a certificate keeps the v2 bytes; one with a certificate (or a vote judged by
// one) is v3, and both decode.
TEST(Records, CertificateMakesAV3RecordAndPlainRecordsStayV2) {
  auto pool = SecretKey::from_seed(Bytes(32, 1)), req = SecretKey::from_seed(Bytes(32, 2)),
       w = SecretKey::from_seed(Bytes(32, 3));
  TaskRecord plain = make_record(pool, req, w);
  Bytes b2 = encode_task_record(plain);
  EXPECT_EQ(as_chars(ByteView(b2).first(14)), kRecordTagV2);
  TaskRecord r = plain;
  r.certificate = CertificateRecord{"sorted+fingerprint", 1, 57, sha256(as_bytes("seed")), true};
  Bytes b3 = encode_task_record(r);
  EXPECT_EQ(as_chars(ByteView(b3).first(14)), kRecordTag);
  EXPECT_EQ(b3.size(), b2.size() + 1 + 1 + 18 + 4 + 4 + 32 + 1);
  auto d = decode_task_record(b3);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(*d, r);
  EXPECT_EQ(entry_task(kCommitKind, b3), r.task_id);
  EXPECT_TRUE(audit_task_record(*d, pool.public_key()).ok());
  for (std::size_t n = b2.size(); n < b3.size(); ++n)
    EXPECT_FALSE(decode_task_record(ByteView(b3).first(n)).ok()) << n;
  // A failed_certificate vote alone also needs v3; v2 cannot carry outcome 6.
  TaskRecord judged = plain;
  judged.contributions.push_back(judged.contributions[0]);
  judged.contributions[1].outcome = Outcome::failed_certificate;
  Bytes j = encode_task_record(judged);
  EXPECT_EQ(as_chars(ByteView(j).first(14)), kRecordTag);
  ASSERT_TRUE(decode_task_record(j).ok());
  EXPECT_EQ(decode_task_record(j)->contributions[1].outcome, Outcome::failed_certificate);
  std::copy(kRecordTagV2.begin(), kRecordTagV2.end(), j.begin());
  EXPECT_FALSE(decode_task_record(j).ok());
}

TEST(Records, AuditRefusesACertificateThatCouldNotHaveDecided) {
  auto pool = SecretKey::from_seed(Bytes(32, 1)), req = SecretKey::from_seed(Bytes(32, 2)),
       w = SecretKey::from_seed(Bytes(32, 3));
  TaskSpec s;
  s.kernel_id = "sort_u32";
  s.requester_key = req.public_key();
  s.trust = 1000;  // needs 10 bits
  TaskRecord r = make_record(pool, req, w);
  r.spec = *encode_task_spec(s);
  r.task_id = task_id_of(r.spec);
  r.requester_signature = req.sign(r.spec);
  ContributionStatement c{pool.public_key(),
                          r.task_id,
                          w.public_key(),
                          result_hash(r.task_id, r.digest),
                          result_seal(w.public_key(), r.task_id, r.digest),
                          40,
                          "cpu"};
  r.contributions[0].statement = encode_contribution(c);
  r.contributions[0].signature = w.sign(r.contributions[0].statement);
  r.certificate = CertificateRecord{"freivalds", 10, 10, {}, true};
  EXPECT_TRUE(audit_task_record(r, pool.public_key()).ok());
  TaskRecord t = r;
  t.certificate->bound_bits = 9;
  EXPECT_EQ(audit_task_record(t, pool.public_key()).code(), ErrorCode::data_loss);
  t.certificate->decisive = false;  // confirming what the votes agreed on: any strength
  EXPECT_TRUE(audit_task_record(t, pool.public_key()).ok());
  t = r;
  t.certificate->rounds = 0;
  EXPECT_EQ(audit_task_record(t, pool.public_key()).code(), ErrorCode::data_loss);
  t = r;
  t.completed = false;
  t.contributions[0].outcome = Outcome::pending;
  EXPECT_EQ(audit_task_record(t, pool.public_key()).code(), ErrorCode::data_loss);
}

}  // namespace
}  // namespace gpoc::verifier
