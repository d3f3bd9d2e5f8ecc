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

}  // namespace
}  // namespace gpoc::verifier
