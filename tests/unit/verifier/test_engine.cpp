#include <gtest/gtest.h>

#include <map>

#include "engine_fixture.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/verifier/engine.hpp"

namespace gpoc::verifier {
namespace {

using test::EngineTest;
using test::kT;

TEST_F(EngineTest, ThreeAgreeingReplicasCommitWithScoresAndAuditableRecord) {
  PublicKey a = add_worker(1), b = add_worker(2), c = add_worker(3);
  TaskId id = submit(5);
  auto assigns = only<AssignAction>(step());
  ASSERT_EQ(assigns.size(), 3u);  // trust 5 needs three fresh agreeing workers, dispatched at once
  EXPECT_EQ(assigns[0].deadline_ms, now_ + 7 * kT);
  Digest32 d = digest_of("output");
  ASSERT_TRUE(contribute(a, id, d).ok());
  ASSERT_TRUE(contribute(b, id, d).ok());
  EXPECT_TRUE(engine_->take_actions().empty());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running);
  ASSERT_TRUE(contribute(c, id, d).ok());
  auto reveals = only<RevealRequestAction>(engine_->take_actions());
  ASSERT_EQ(reveals.size(), 3u);
  EXPECT_EQ(std::count_if(reveals.begin(), reveals.end(), [](auto& r) { return r.upload; }), 1);
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
  PublicKey up = *engine_->uploader(id);
  for (PublicKey w : {a, b, c}) ASSERT_TRUE(engine_->on_reveal(w, id, d, now_).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::uploading);
  ASSERT_TRUE(engine_->on_upload(up, id, d, 6, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_TRUE(fin[0].record.completed);
  EXPECT_EQ(fin[0].record.digest, d);
  EXPECT_EQ(fin[0].record.contributions.size(), 3u);
  EXPECT_EQ(fin[0].scores.size(), 3u);
  for (PublicKey w : {a, b, c}) EXPECT_EQ(engine_->score(w), 1u);
  EXPECT_TRUE(audit_task_record(fin[0].record, pool_.public_key()).ok());
  EXPECT_FALSE(engine_->has_task(id));
}

TEST_F(EngineTest, ByzantineVoteIsOutvotedAndItsScoreFalls) {
  PublicKey w[4] = {add_worker(1), add_worker(2), add_worker(3), add_worker(4)};
  for (PublicKey k : w) engine_->set_score(k, 9);
  TaskId id = submit(3);
  auto first = only<AssignAction>(step());
  ASSERT_EQ(first.size(), 2u);  // trust 3 needs two agreeing fresh-weight workers
  Digest32 good = digest_of("good"), bad = digest_of("bad");
  ASSERT_TRUE(contribute(first[0].worker, id, bad).ok());
  ASSERT_TRUE(contribute(first[1].worker, id, good).ok());
  // With a dissenting vote, three agreeing votes are needed at trust 3 (the reference's table):
  // two more replicas go out at once.
  auto more = only<AssignAction>(step());
  ASSERT_EQ(more.size(), 2u);
  ASSERT_TRUE(contribute(more[0].worker, id, good).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running);
  ASSERT_TRUE(contribute(more[1].worker, id, good).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
  only<RevealRequestAction>(engine_->take_actions());
  ASSERT_TRUE(engine_->on_reveal(first[1].worker, id, good, now_).ok());
  ASSERT_TRUE(engine_->on_reveal(more[0].worker, id, good, now_).ok());
  ASSERT_TRUE(engine_->on_reveal(more[1].worker, id, good, now_).ok());
  // The outvoted worker cannot reveal.
  EXPECT_FALSE(engine_->on_reveal(first[0].worker, id, bad, now_).ok());
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, good, 4, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(engine_->score(first[0].worker), 6u);  // floor(2*9/3)
  EXPECT_EQ(engine_->score(first[1].worker), 10u);
  int wrong = 0;
  for (auto& c : fin[0].record.contributions) wrong += c.outcome == Outcome::wrong_vote;
  EXPECT_EQ(wrong, 1);
}

TEST_F(EngineTest, ContributionChecks) {
  PublicKey a = add_worker(1), b = add_worker(2);
  add_worker(3);
  TaskId id = submit(1);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 1u);
  PublicKey assigned = as[0].worker;
  PublicKey other = assigned == a ? b : a;
  Digest32 d = digest_of("x");
  EXPECT_EQ(contribute(other, id, d).code(), ErrorCode::permission_denied);
  // A statement signed by someone else, or for another pool, is refused.
  ContributionStatement c{pool_.public_key(),           id, assigned,  result_hash(id, d),
                          result_seal(assigned, id, d), 32, "cpu-test"};
  Bytes st = encode_contribution(c);
  EXPECT_EQ(
      engine_->on_contribution(assigned, st, keys_.at(by_key_.at(other)).sign(st), now_).code(),
      ErrorCode::unauthenticated);
  c.pool_id[0] ^= 1;
  Bytes st2 = encode_contribution(c);
  EXPECT_EQ(engine_->on_contribution(assigned, st2, keys_.at(by_key_.at(assigned)).sign(st2), now_)
                .code(),
            ErrorCode::unauthenticated);
  EXPECT_EQ(engine_->on_contribution(assigned, Bytes{1, 2, 3}, Signature{}, now_).code(),
            ErrorCode::invalid_argument);
  ASSERT_TRUE(contribute(assigned, id, d).ok());
  EXPECT_TRUE(contribute(assigned, id, d).ok());  // an identical retry is idempotent
  EXPECT_EQ(contribute(assigned, id, digest_of("y")).code(), ErrorCode::already_exists);
}

TEST_F(EngineTest, LateContributionAfterConsensusIsRefusedAndCostsNothing) {
  PublicKey w[3] = {add_worker(1, 1), add_worker(2, 1), add_worker(3, 1)};
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 2u);
  Digest32 d = digest_of("x");
  ASSERT_TRUE(contribute(as[0].worker, id, d).ok());
  ASSERT_TRUE(contribute(as[1].worker, id, d).ok());
  PublicKey outsider{};
  for (PublicKey k : w) {
    if (k != as[0].worker && k != as[1].worker) outsider = k;
  }
  EXPECT_EQ(contribute(outsider, id, d).code(), ErrorCode::permission_denied);
  EXPECT_EQ(engine_->score(outsider), 0u);
}

TEST_F(EngineTest, CopiedVoteFailsAtRevealAndIsPunished) {
  PublicKey a = add_worker(1), b = add_worker(2);
  engine_->set_score(a, 3);
  engine_->set_score(b, 3);
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 2u);
  Digest32 d = digest_of("honest");
  PublicKey honest = as[0].worker, copier = as[1].worker;
  ASSERT_TRUE(contribute(honest, id, d).ok());
  ASSERT_TRUE(
      contribute(copier, id, d, /*forge_seal=*/true).ok());  // same vote, seal it cannot make
  engine_->take_actions();
  ASSERT_TRUE(engine_->on_reveal(honest, id, d, now_).ok());
  EXPECT_EQ(engine_->on_reveal(copier, id, d, now_).code(), ErrorCode::unauthenticated);
  if (engine_->uploader(id) != honest) step();
  ASSERT_EQ(engine_->uploader(id), honest);
  ASSERT_TRUE(engine_->on_upload(honest, id, d, 6, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(engine_->score(copier), 2u);
  EXPECT_EQ(engine_->score(honest), 4u);
}

TEST_F(EngineTest, LostWorkerIsReplaced) {
  add_worker(1);
  add_worker(2);
  add_worker(3);
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 2u);
  // Everyone but the first assignee keeps heartbeating; the first goes silent.
  for (int i = 0; i < 5; ++i) {
    now_ += 100;
    for (auto& [pk, seed] : by_key_) {
      if (pk != as[0].worker) engine_->worker_seen(pk, now_);
    }
    engine_->tick(now_);
  }
  auto acts = engine_->take_actions();
  auto re = only<AssignAction>(acts);
  ASSERT_EQ(re.size(), 1u);
  EXPECT_NE(re[0].worker, as[0].worker);
  EXPECT_NE(re[0].worker, as[1].worker);
  auto view = engine_->task_view(id);
  EXPECT_EQ(view->replicas[0].phase, ReplicaPhase::lost);
}

TEST_F(EngineTest, SilentReplicaTimesOutAndIsReplaced) {
  add_worker(1);
  add_worker(2);
  add_worker(3);
  TaskId id = submit(2);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 1u);
  auto acts = advance(kT - 1);
  EXPECT_TRUE(only<AbortAction>(acts).empty());
  acts = advance(1);
  ASSERT_EQ(only<AbortAction>(acts).size(), 1u);
  auto re = only<AssignAction>(acts);
  ASSERT_EQ(re.size(), 1u);
  EXPECT_NE(re[0].worker, as[0].worker);
  EXPECT_EQ(contribute(as[0].worker, id, digest_of("late")).code(), ErrorCode::failed_precondition);
}

TEST_F(EngineTest, NoConsensusFailsAtTheFinalDeadlineWithAReason) {
  add_worker(1);
  add_worker(2);
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 2u);
  ASSERT_TRUE(contribute(as[0].worker, id, digest_of("a")).ok());
  ASSERT_TRUE(contribute(as[1].worker, id, digest_of("b")).ok());
  std::vector<FinishAction> fin;
  for (int i = 0; i < 100 && fin.empty(); ++i) {
    heartbeat_all();
    fin = only<FinishAction>(step(kT / 10));
  }
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_FALSE(fin[0].record.completed);
  EXPECT_NE(fin[0].record.reason.find("no consensus by the final deadline"), std::string::npos)
      << fin[0].record.reason;
  EXPECT_EQ(fin[0].record.finished_ms - fin[0].record.submitted_ms, 10 * kT);
  EXPECT_TRUE(fin[0].scores.empty());  // a failed task changes no score
  EXPECT_TRUE(audit_task_record(fin[0].record, pool_.public_key()).ok());
}

TEST_F(EngineTest, UnrevealedConsensusReopensWithoutItsVoters) {
  add_worker(1);
  add_worker(2);
  add_worker(3);
  add_worker(4);
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 2u);
  Digest32 d = digest_of("d");
  ASSERT_TRUE(contribute(as[0].worker, id, d).ok());
  ASSERT_TRUE(contribute(as[1].worker, id, d).ok());
  engine_->take_actions();
  auto acts = advance(2 * kT);  // reveal window passes with no reveal
  auto re = only<AssignAction>(acts);
  ASSERT_EQ(re.size(), 2u);
  for (auto& r : re) {
    EXPECT_NE(r.worker, as[0].worker);
    EXPECT_NE(r.worker, as[1].worker);
  }
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running);
  ASSERT_TRUE(contribute(re[0].worker, id, d).ok());
  ASSERT_TRUE(contribute(re[1].worker, id, d).ok());
  engine_->take_actions();
  ASSERT_TRUE(engine_->on_reveal(re[0].worker, id, d, now_).ok());
  ASSERT_TRUE(engine_->on_reveal(re[1].worker, id, d, now_).ok());
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, d, 1, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  int unrevealed = 0;
  for (auto& c : fin[0].record.contributions) unrevealed += c.outcome == Outcome::unrevealed;
  EXPECT_EQ(unrevealed, 2);
}

TEST_F(EngineTest, BadUploadIsRefusedAndAnotherWinnerUploads) {
  add_worker(1);
  add_worker(2);
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  Digest32 d = digest_of("d");
  for (auto& a : as) ASSERT_TRUE(contribute(a.worker, id, d).ok());
  engine_->take_actions();
  for (auto& a : as) ASSERT_TRUE(engine_->on_reveal(a.worker, id, d, now_).ok());
  PublicKey first = *engine_->uploader(id);
  EXPECT_EQ(engine_->on_upload(first, id, digest_of("tampered"), 1, now_).code(),
            ErrorCode::data_loss);
  auto ups = only<UploadRequestAction>(engine_->take_actions());
  ASSERT_EQ(ups.size(), 1u);
  EXPECT_NE(ups[0].worker, first);
  EXPECT_EQ(engine_->on_upload(first, id, d, 1, now_).code(), ErrorCode::permission_denied);
  ASSERT_TRUE(engine_->on_upload(ups[0].worker, id, d, 1, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_TRUE(fin[0].record.completed);
}

// Found by the simulation: an upload lost on the way left a task whose only revealed winner had
// been asked once waiting for nothing until its final deadline.
TEST_F(EngineTest, LostUploadIsAskedForAgainEvenFromTheOnlyWinner) {
  add_worker(1);
  TaskId id = submit(2);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 1u);
  Digest32 d = digest_of("d");
  ASSERT_TRUE(contribute(as[0].worker, id, d).ok());
  auto reveal = only<RevealRequestAction>(engine_->take_actions());
  ASSERT_EQ(reveal.size(), 1u);
  EXPECT_TRUE(reveal[0].upload);
  ASSERT_TRUE(engine_->on_reveal(as[0].worker, id, d, now_).ok());
  // The upload never arrives. After the reveal window the same winner is asked again.
  auto again = only<UploadRequestAction>(advance(2 * kT));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].worker, as[0].worker);
  ASSERT_TRUE(engine_->on_upload(as[0].worker, id, d, 1, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_TRUE(fin[0].record.completed);
}

// Found by the simulation: a reveal request that never reached its winner cost an honest worker
// its stake at the reopen. Silent winners are asked again once per category time.
TEST_F(EngineTest, SilentWinnersAreAskedToRevealAgain) {
  add_worker(1);
  add_worker(2);
  TaskId id = submit(3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 2u);
  Digest32 d = digest_of("d");
  for (auto& a : as) ASSERT_TRUE(contribute(a.worker, id, d).ok());
  EXPECT_EQ(only<RevealRequestAction>(engine_->take_actions()).size(), 2u);
  ASSERT_TRUE(engine_->on_reveal(as[0].worker, id, d, now_).ok());
  engine_->take_actions();
  auto again = only<RevealRequestAction>(advance(kT));
  ASSERT_EQ(again.size(), 1u) << "only the winner that has not revealed is asked again";
  EXPECT_EQ(again[0].worker, as[1].worker);
  ASSERT_TRUE(engine_->on_reveal(as[1].worker, id, d, now_).ok());
  EXPECT_TRUE(only<RevealRequestAction>(advance(kT)).empty());
}

TEST_F(EngineTest, QuorumDispatchesAtLeastMinReplicasEvenAtTrustOne) {
  add_worker(1);
  add_worker(2);
  add_worker(3);
  add_worker(4);
  TaskId id = submit(1, 3);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 3u);
  Digest32 d = digest_of("q");
  ASSERT_TRUE(contribute(as[0].worker, id, d).ok());
  ASSERT_TRUE(contribute(as[1].worker, id, d).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running);
  ASSERT_TRUE(contribute(as[2].worker, id, d).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
}

TEST_F(EngineTest, KernelFailureReportIsNotAResultAndTheReplicaIsReplaced) {
  add_worker(1);
  add_worker(2);
  TaskId id = submit(1);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 1u);
  ASSERT_TRUE(engine_->on_task_failure(as[0].worker, id, "out of memory", now_).ok());
  auto re = only<AssignAction>(step());
  ASSERT_EQ(re.size(), 1u);
  EXPECT_NE(re[0].worker, as[0].worker);
  EXPECT_EQ(engine_->task_view(id)->replicas[0].phase, ReplicaPhase::failed);
}

TEST_F(EngineTest, SameInputsGiveSameActions) {
  // Determinism: two engines fed the same events produce the same actions.
  auto run = [](std::vector<std::string>& log) {
    EngineTest* unused = nullptr;
    (void)unused;
    PoolConfig cfg;
    cfg.policy.category_time_ms = {kT};
    cfg.policy.category_price = {0};
    Engine e(cfg);
    for (std::uint8_t i = 1; i <= 5; ++i) {
      PublicKey k = SecretKey::from_seed(Bytes(32, i)).public_key();
      e.worker_registered(k, k, "c", 2, {"sha256@1"}, 0);
    }
    for (std::uint64_t n = 0; n < 6; ++n) {
      TaskSpec s;
      s.kernel_id = "sha256";
      s.trust = 3 + n;
      s.requester_nonce = n;
      NewTask t;
      t.spec_bytes = *encode_task_spec(s);
      t.task_id = task_id_of(t.spec_bytes);
      t.spec = s;
      EXPECT_TRUE(e.add_task(std::move(t), 0).ok());
    }
    e.tick(1);
    for (auto& a : e.take_actions()) {
      auto& as = std::get<AssignAction>(a);
      log.push_back(to_hex(as.worker) + to_hex(as.task_id));
    }
  };
  std::vector<std::string> a, b;
  run(a);
  run(b);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace gpoc::verifier

namespace gpoc::verifier::test {

// A worker paused by an SLA's fast-burn alert gets no new replica until resumed; the pause holds
// across a re-registration and shows in the worker's view.
TEST_F(EngineTest, PausedWorkerGetsNoReplicaUntilResumed) {
  PublicKey a = add_worker(1), b = add_worker(2);
  engine_->set_paused(a, true, "SLA x: fast burn");
  engine_->worker_registered(a, a, "cpu-test", 4, {"sha256@1"}, now_);
  submit(1, /*min_replicas=*/2, /*nonce=*/1);
  auto assigns = only<AssignAction>(step());
  ASSERT_EQ(assigns.size(), 1u);
  EXPECT_EQ(assigns[0].worker, b);
  for (const WorkerView& w : engine_->workers()) {
    EXPECT_EQ(w.paused, w.key == a);
    EXPECT_EQ(w.pause_reason, w.key == a ? "SLA x: fast burn" : "");
  }
  engine_->set_paused(a, false);
  assigns = only<AssignAction>(step());
  ASSERT_EQ(assigns.size(), 1u);
  EXPECT_EQ(assigns[0].worker, a);
}

// Transfers move free units not held for running replicas, all or nothing, and never mint.
TEST_F(EngineTest, TransfersAreAllOrNothingAndCannotMint) {
  PublicKey a = add_worker(1), b = add_worker(2);
  ASSERT_TRUE(engine_->mint(a, 100).ok());
  EXPECT_TRUE(engine_->transfer({Move{a, Pot::free, b, Pot::free, 60}}).ok());
  Status s = engine_->transfer(
      {Move{a, Pot::free, b, Pot::free, 30}, Move{a, Pot::free, b, Pot::free, 30}});
  EXPECT_EQ(s.code(), ErrorCode::failed_precondition) << s.to_string();
  EXPECT_EQ(engine_->accounts().get(a).free, 40u);
  EXPECT_EQ(engine_->accounts().get(b).free, 60u);
  EXPECT_FALSE(engine_->transfer({Move{kMintSource, Pot::free, b, Pot::free, 1}}).ok());
  EXPECT_EQ(engine_->accounts().minted(), 100u);
}

}  // namespace gpoc::verifier::test
