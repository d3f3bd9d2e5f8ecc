// Certificates in the engine: a certifiable task gets one replica, its uploaded output waits for
// the caller's verdict, a pass strong enough for the trust commits it, and a failure judges the
// voters and falls back to replication.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"

namespace gpoc::verifier {
namespace {

using test::EngineTest;
using test::kT;

class CertificateTest : public EngineTest {
 protected:
  CertificateTest() { certifiable_ = true; }

  // Contributes, reveals and uploads `digest` from `w`, which must be the task's uploader;
  // returns the CertifyAction the upload produced.
  CertifyAction deliver(const PublicKey& w, const TaskId& id, const Digest32& digest) {
    EXPECT_TRUE(contribute(w, id, digest).ok());
    auto reveals = only<RevealRequestAction>(engine_->take_actions());
    EXPECT_EQ(reveals.size(), 1u);
    if (!reveals.empty()) {
      EXPECT_EQ(reveals[0].worker, w);
      EXPECT_TRUE(reveals[0].upload) << "the only vote is asked to upload with its reveal";
    }
    EXPECT_TRUE(engine_->on_reveal(w, id, digest, now_).ok());
    EXPECT_TRUE(engine_->on_upload(w, id, digest, 16, now_).ok());
    auto actions = engine_->take_actions();
    EXPECT_TRUE(only<FinishAction>(actions).empty()) << "nothing commits before the verdict";
    auto certify = only<CertifyAction>(actions);
    EXPECT_EQ(certify.size(), 1u);
    return certify.empty() ? CertifyAction{} : certify[0];
  }

  CertificateReport verdict(const CertifyAction& c, bool passed, std::uint32_t bits) {
    CertificateReport r;
    r.task_id = c.task_id;
    r.digest = c.digest;
    r.ran = true;
    r.passed = passed;
    r.method = "sorted+fingerprint";
    r.rounds = passed ? 1 : 0;
    r.bound_bits = passed ? bits : 0;
    r.seed = sha256(as_bytes("seed"));
    r.reason = passed ? "" : "output is out of order at element 3";
    return r;
  }

  const ReplicaView* replica(const TaskView& v, const PublicKey& w) {
    for (const auto& r : v.replicas) {
      if (r.worker == w) return &r;
    }
    return nullptr;
  }
};

TEST_F(CertificateTest, CertifiableTaskGetsOneReplicaAndAPassCommitsIt) {
  PublicKey w[4] = {add_worker(1), add_worker(2), add_worker(3), add_worker(4)};
  (void)w;
  engine_->set_score(w[0], 5);
  TaskId id = submit(10);  // replication alone would dispatch four fresh replicas at once
  auto assigns = only<AssignAction>(step());
  ASSERT_EQ(assigns.size(), 1u);
  EXPECT_TRUE(only<AssignAction>(step(10)).empty()) << "one replica at a time";
  EXPECT_TRUE(engine_->task_view(id)->certifiable);
  const PublicKey worker = assigns[0].worker;
  const std::uint64_t before = engine_->score(worker);
  Digest32 d = digest_of("sorted");
  CertifyAction c = deliver(worker, id, d);
  EXPECT_EQ(c.task_id, id);
  EXPECT_EQ(c.digest, d);
  EXPECT_EQ(c.trust, 10u);
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::uploading);
  // The output waits for the verdict however long the caller takes, until the deadlines.
  EXPECT_TRUE(only<FinishAction>(advance(kT / 2)).empty());
  now_ += 7;
  ASSERT_TRUE(engine_->on_certificate(verdict(c, true, 40), now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  const TaskRecord& rec = fin[0].record;
  EXPECT_TRUE(rec.completed);
  EXPECT_EQ(rec.digest, d);
  ASSERT_EQ(rec.contributions.size(), 1u);
  EXPECT_EQ(rec.contributions[0].outcome, Outcome::winner);
  ASSERT_TRUE(rec.certificate.has_value());
  EXPECT_TRUE(rec.certificate->decisive);
  EXPECT_EQ(rec.certificate->method, "sorted+fingerprint");
  EXPECT_EQ(rec.certificate->bound_bits, 40u);
  EXPECT_EQ(rec.certificate->seed, sha256(as_bytes("seed")));
  EXPECT_EQ(rec.consensus_ms, now_) << "a candidate until its certificate passed";
  EXPECT_EQ(engine_->score(worker), before + 1) << "a certified result earns as a replicated one";
  EXPECT_TRUE(fin[0].view.certificate.has_value());
  EXPECT_TRUE(audit_task_record(rec, pool_.public_key()).ok());
  auto round_trip = decode_task_record(encode_task_record(rec));
  ASSERT_TRUE(round_trip.ok());
  EXPECT_EQ(*round_trip, rec);
  EXPECT_FALSE(engine_->has_task(id));
}

TEST_F(CertificateTest, AVerdictNobodyAskedForIsRefused) {
  PublicKey a = add_worker(1);
  TaskId id = submit(3);
  step();
  CertifyAction c{id, digest_of("x"), 3};
  EXPECT_EQ(engine_->on_certificate(verdict(c, true, 40), now_).code(),
            ErrorCode::failed_precondition);  // nothing uploaded yet
  Digest32 d = digest_of("out");
  CertifyAction real = deliver(a, id, d);
  CertifyAction other = real;
  other.digest = digest_of("another output");
  EXPECT_FALSE(engine_->on_certificate(verdict(other, true, 40), now_).ok());
  ASSERT_TRUE(engine_->on_certificate(verdict(real, true, 40), now_).ok());
  EXPECT_EQ(only<FinishAction>(engine_->take_actions()).size(), 1u);
  EXPECT_EQ(engine_->on_certificate(verdict(real, true, 40), now_).code(), ErrorCode::not_found);
}

// Failed: the voter is judged (score falls), its result is refuted, and the task replicates as
// any other; honest workers then commit it, and their result is certified too.
TEST_F(CertificateTest, FailedCertificateJudgesTheVoterAndTheTaskCommitsByReplication) {
  PublicKey w[4] = {add_worker(1), add_worker(2), add_worker(3), add_worker(4)};
  for (PublicKey k : w) engine_->set_score(k, 9);  // weight 2
  TaskId id = submit(3);
  auto first = only<AssignAction>(step());
  ASSERT_EQ(first.size(), 1u);
  const PublicKey liar = first[0].worker;
  Digest32 bad = digest_of("unsorted"), good = digest_of("sorted");
  CertifyAction c = deliver(liar, id, bad);
  ASSERT_TRUE(engine_->on_certificate(verdict(c, false, 0), now_).ok());
  EXPECT_TRUE(only<FinishAction>(engine_->take_actions()).empty());
  TaskView v = *engine_->task_view(id);
  EXPECT_EQ(v.phase, TaskPhase::running);
  EXPECT_EQ(replica(v, liar)->phase, ReplicaPhase::rejected);
  EXPECT_NE(replica(v, liar)->note.find("failed the certificate"), std::string::npos);
  EXPECT_FALSE(v.consensus_hash.has_value());
  // Trust 3 with weight-2 workers: two agreeing votes, dispatched at once as for any task.
  auto more = only<AssignAction>(step());
  ASSERT_EQ(more.size(), 2u);
  ASSERT_TRUE(contribute(more[0].worker, id, good).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running) << "one vote is not enough now";
  ASSERT_TRUE(contribute(more[1].worker, id, good).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
  auto reveals = only<RevealRequestAction>(engine_->take_actions());
  ASSERT_EQ(reveals.size(), 2u);
  for (const auto& r : reveals) ASSERT_TRUE(engine_->on_reveal(r.worker, id, good, now_).ok());
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, good, 16, now_).ok());
  auto certify = only<CertifyAction>(engine_->take_actions());
  ASSERT_EQ(certify.size(), 1u) << "a replicated result of a certifiable task is certified too";
  ASSERT_TRUE(engine_->on_certificate(verdict(certify[0], true, 40), now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  const TaskRecord& rec = fin[0].record;
  EXPECT_TRUE(rec.completed);
  EXPECT_EQ(rec.digest, good);
  ASSERT_TRUE(rec.certificate.has_value());
  EXPECT_FALSE(rec.certificate->decisive) << "the votes reached trust 3 on their own";
  int winners = 0, judged = 0;
  for (const auto& cr : rec.contributions) {
    winners += cr.outcome == Outcome::winner;
    if (cr.outcome == Outcome::failed_certificate) {
      ++judged;
      EXPECT_EQ(cr.worker, liar);
    }
  }
  EXPECT_EQ(winners, 2);
  EXPECT_EQ(judged, 1);
  EXPECT_EQ(engine_->score(liar), 6u);  // floor(2*9/3)
  EXPECT_EQ(engine_->score(more[0].worker), 10u);
  EXPECT_TRUE(audit_task_record(rec, pool_.public_key()).ok());
  EXPECT_EQ(as_chars(ByteView(encode_task_record(rec)).first(14)), kRecordTag);
}

// Colluders who agree on a wrong result reach consensus by votes (here a quorum keeps the task
// on replication); the certificate still refutes it, and a later vote for it never counts.
TEST_F(CertificateTest, RefutedResultIsWrongForEveryVoterAndNeverCountsAgain) {
  PublicKey w[5] = {add_worker(1), add_worker(2), add_worker(3), add_worker(4), add_worker(5)};
  (void)w;
  TaskId id = submit(2, /*min_replicas=*/2);
  auto first = only<AssignAction>(step());
  ASSERT_EQ(first.size(), 2u) << "a quorum is replication: the certificate does not replace it";
  Digest32 bad = digest_of("colluded"), good = digest_of("sorted");
  for (const auto& a : first) ASSERT_TRUE(contribute(a.worker, id, bad).ok());
  ASSERT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
  for (const auto& r : only<RevealRequestAction>(engine_->take_actions()))
    ASSERT_TRUE(engine_->on_reveal(r.worker, id, bad, now_).ok());
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, bad, 16, now_).ok());
  auto certify = only<CertifyAction>(engine_->take_actions());
  ASSERT_EQ(certify.size(), 1u);
  ASSERT_TRUE(engine_->on_certificate(verdict(certify[0], false, 0), now_).ok());
  TaskView v = *engine_->task_view(id);
  for (const auto& a : first) EXPECT_EQ(replica(v, a.worker)->phase, ReplicaPhase::rejected);
  auto next = only<AssignAction>(step());
  ASSERT_EQ(next.size(), 2u);
  ASSERT_TRUE(contribute(next[0].worker, id, bad).ok()) << "a signed vote is taken, and judged";
  v = *engine_->task_view(id);
  EXPECT_EQ(replica(v, next[0].worker)->phase, ReplicaPhase::rejected);
  EXPECT_EQ(v.credibility_den, 0u) << "the refuted vote is not in the tally";
  ASSERT_TRUE(contribute(next[1].worker, id, good).ok());
  auto last = only<AssignAction>(step());
  ASSERT_EQ(last.size(), 1u);
  ASSERT_TRUE(contribute(last[0].worker, id, good).ok());
  ASSERT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
  for (const auto& r : only<RevealRequestAction>(engine_->take_actions()))
    ASSERT_TRUE(engine_->on_reveal(r.worker, id, good, now_).ok());
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, good, 16, now_).ok());
  certify = only<CertifyAction>(engine_->take_actions());
  ASSERT_EQ(certify.size(), 1u);
  ASSERT_TRUE(engine_->on_certificate(verdict(certify[0], true, 40), now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  int judged = 0;
  for (const auto& cr : fin[0].record.contributions)
    judged += cr.outcome == Outcome::failed_certificate;
  EXPECT_EQ(judged, 3);
  EXPECT_TRUE(audit_task_record(fin[0].record, pool_.public_key()).ok());
}

// A pass too weak for the trust, or a check that could not run, judges nobody: the vote stays
// and the task replicates as a task without a certificate would.
TEST_F(CertificateTest, WeakOrMissingVerdictFallsBackToTheVotesWithoutJudging) {
  for (bool ran : {true, false}) {
    SCOPED_TRACE(ran ? "weak pass" : "could not run");
    std::uint8_t seed = ran ? 10 : 20;
    PublicKey w[3] = {add_worker(seed), add_worker(seed + 1), add_worker(seed + 2)};
    (void)w;
    TaskId id = submit(3, 1, seed);
    auto first = only<AssignAction>(step());
    ASSERT_EQ(first.size(), 1u);
    Digest32 d = digest_of("sorted");
    CertifyAction c = deliver(first[0].worker, id, d);
    CertificateReport r = verdict(c, true, 1);  // trust 3 needs 2 bits
    r.ran = ran;
    ASSERT_TRUE(engine_->on_certificate(r, now_).ok());
    TaskView v = *engine_->task_view(id);
    EXPECT_EQ(v.phase, TaskPhase::running);
    EXPECT_EQ(replica(v, first[0].worker)->phase, ReplicaPhase::contributed) << "its vote stays";
    auto more = only<AssignAction>(step());
    ASSERT_EQ(more.size(), 1u) << "one more agreeing weight-2 vote reaches trust 3";
    ASSERT_TRUE(contribute(more[0].worker, id, d).ok());
    auto reveals = only<RevealRequestAction>(engine_->take_actions());
    ASSERT_EQ(reveals.size(), 2u) << "the first worker is asked to reveal again";
    for (const auto& rr : reveals) ASSERT_TRUE(engine_->on_reveal(rr.worker, id, d, now_).ok());
    ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, d, 16, now_).ok());
    auto actions = engine_->take_actions();
    EXPECT_TRUE(only<CertifyAction>(actions).empty()) << "no second try of the same check";
    auto fin = only<FinishAction>(actions);
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_FALSE(fin[0].record.certificate.has_value());
    for (const auto& cr : fin[0].record.contributions) EXPECT_EQ(cr.outcome, Outcome::winner);
  }
}

// A certifiable task whose candidate never reveals (or reveals and never uploads) costs one reveal
// window, then is replicated as any task, so a run of such candidates cannot use up its
// contribution window; the result the replicas agree on is certified before it commits.
TEST_F(CertificateTest, CandidateThatDoesNotDeliverSendsTheTaskToReplication) {
  for (bool reveals : {false, true}) {
    SCOPED_TRACE(reveals ? "revealed, never uploaded" : "never revealed");
    const std::uint8_t seed = reveals ? 10 : 20;
    PublicKey w[3] = {add_worker(seed), add_worker(seed + 1), add_worker(seed + 2)};
    (void)w;
    TaskId id = submit(3, 1, seed);
    auto first = only<AssignAction>(step());
    ASSERT_EQ(first.size(), 1u);
    const PublicKey silent = first[0].worker;
    Digest32 d = digest_of("sorted");
    ASSERT_TRUE(contribute(silent, id, d).ok());
    if (reveals) {
      ASSERT_TRUE(engine_->on_reveal(silent, id, d, now_).ok());
    }
    engine_->take_actions();
    EXPECT_TRUE(only<AssignAction>(advance(kT / 2)).empty()) << "still its turn";
    auto more = only<AssignAction>(advance(kT / 2 + 50));  // a candidate has T, not 2T
    ASSERT_EQ(more.size(), 2u) << "trust 3 by replication: two agreeing weight-2 votes at once";
    TaskView v = *engine_->task_view(id);
    EXPECT_EQ(replica(v, silent)->phase, ReplicaPhase::rejected);
    EXPECT_EQ(engine_->uploader(id), std::nullopt);
    for (const auto& a : more) ASSERT_TRUE(contribute(a.worker, id, d).ok());
    for (const auto& r : only<RevealRequestAction>(engine_->take_actions()))
      ASSERT_TRUE(engine_->on_reveal(r.worker, id, d, now_).ok());
    ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, d, 16, now_).ok());
    auto certify = only<CertifyAction>(engine_->take_actions());
    ASSERT_EQ(certify.size(), 1u);
    ASSERT_TRUE(engine_->on_certificate(verdict(certify[0], true, 40), now_).ok());
    auto fin = only<FinishAction>(engine_->take_actions());
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_TRUE(fin[0].record.completed);
    ASSERT_TRUE(fin[0].record.certificate.has_value());
    EXPECT_FALSE(fin[0].record.certificate->decisive);
    for (const auto& cr : fin[0].record.contributions)
      EXPECT_EQ(cr.outcome, cr.worker == silent ? Outcome::unrevealed : Outcome::winner);
    EXPECT_TRUE(audit_task_record(fin[0].record, pool_.public_key()).ok());
  }
}

// Without `certifiable` nothing changes: the replicas trust asks for, no CertifyAction, a v2
// record.
TEST_F(CertificateTest, TaskWithoutACertificateIsReplicatedAsBefore) {
  certifiable_ = false;
  PublicKey w[3] = {add_worker(1), add_worker(2), add_worker(3)};
  (void)w;
  TaskId id = submit(5);
  auto assigns = only<AssignAction>(step());
  ASSERT_EQ(assigns.size(), 3u);
  EXPECT_FALSE(engine_->task_view(id)->certifiable);
  Digest32 d = digest_of("out");
  for (const auto& a : assigns) ASSERT_TRUE(contribute(a.worker, id, d).ok());
  for (const auto& r : only<RevealRequestAction>(engine_->take_actions()))
    ASSERT_TRUE(engine_->on_reveal(r.worker, id, d, now_).ok());
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, d, 16, now_).ok());
  auto actions = engine_->take_actions();
  EXPECT_TRUE(only<CertifyAction>(actions).empty());
  auto fin = only<FinishAction>(actions);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_FALSE(fin[0].record.certificate.has_value());
  EXPECT_EQ(as_chars(ByteView(encode_task_record(fin[0].record)).first(14)), kRecordTagV2);
}

}  // namespace
}  // namespace gpoc::verifier
