// The engine's books: escrow at submission, stakes per contribution, settlement at the end, and
// a replay of the entries (what `gpoc ledger verify` does) that must agree with them.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "gpoc/verifier/replay.hpp"

namespace gpoc::verifier {
namespace {

using test::EngineTest;
using test::kT;

Policy priced() {
  Policy p;
  p.category_time_ms = {kT};
  p.category_price = {1000};
  p.worker_stake_ratio = 30;      // 300 per contribution
  p.scheduler_stake_ratio = 30;   // 300 per task
  p.scheduler_reward_ratio = 10;  // the workers share 90%
  p.kitty_ratio = 10;
  p.kitty_min = 20;
  return p;
}

class EconomicsTest : public EngineTest {
 protected:
  EconomicsTest() : EngineTest(priced()), replay_(pool_.public_key()) {
    // The ledger the scheduler would write, entry by entry, replayed as an auditor would.
    EXPECT_TRUE(replay_.apply(kPolicyKind, encode_policy(priced())).ok());
  }

  void mint(const PublicKey& to, Amount amount) {
    ASSERT_TRUE(engine_->mint(to, amount).ok());
    MintStatement m;
    m.pool_id = pool_.public_key();
    m.account = to;
    m.amount = amount;
    m.nonce = ++nonce_;
    Bytes st = encode_mint(m);
    ASSERT_TRUE(replay_.apply(kMintKind, encode_mint_record({st, pool_.sign(st)})).ok());
  }

  TaskId submit_logged(std::uint64_t trust, std::uint32_t replicas, std::uint64_t nonce) {
    TaskId id = submit(trust, replicas, nonce);
    if (!added_.ok()) return id;
    AcceptRecord a;
    a.task_id = id;
    a.requester = requester_.public_key();
    a.price = 1000;
    a.scheduler_stake = 300;
    a.worker_stake = 300;
    a.moves = *added_;
    Status s = replay_.apply(kAcceptKind, encode_accept_record(a));
    EXPECT_TRUE(s.ok()) << s.to_string();
    return id;
  }

  // Runs the finished tasks' records through the replay; returns them.
  std::vector<FinishAction> finish_logged(const std::vector<Action>& actions) {
    auto fin = only<FinishAction>(actions);
    for (const FinishAction& f : fin) {
      Status s =
          replay_.apply(f.record.completed ? kCommitKind : kFailKind, encode_task_record(f.record));
      EXPECT_TRUE(s.ok()) << s.to_string();
    }
    return fin;
  }

  void books_agree() {
    EXPECT_EQ(replay_.accounts().all(), engine_->accounts().all());
    EXPECT_EQ(engine_->accounts().total(), engine_->accounts().minted());
  }

  Replay replay_;
  std::uint64_t nonce_ = 0;
};

TEST_F(EconomicsTest, SubmissionNeedsTheRequestersBalanceAndThePoolsStake) {
  add_worker(1);
  expect_accept_ = false;
  submit_logged(1, 1, 1);
  ASSERT_FALSE(added_.ok());
  EXPECT_EQ(added_.status().code(), ErrorCode::failed_precondition);
  EXPECT_NE(added_.status().message().find("insufficient balance"), std::string::npos);
  mint(requester_.public_key(), 1000);
  submit_logged(1, 1, 2);
  EXPECT_EQ(added_.status().code(), ErrorCode::unavailable) << "the pool has nothing to stake";
  mint(pool_.public_key(), 300);
  submit_logged(1, 1, 3);
  ASSERT_TRUE(added_.ok()) << added_.status().to_string();
  EXPECT_EQ(engine_->accounts().get(requester_.public_key()).free, 0u);
  EXPECT_EQ(engine_->accounts().get(pool_.public_key()), (Balance{0, 300}));
  books_agree();
}

TEST_F(EconomicsTest, WorkerWithoutTheStakeGetsNoAssignment) {
  mint(requester_.public_key(), 10'000);
  mint(pool_.public_key(), 10'000);
  PublicKey poor = add_worker(1), rich = add_worker(2);
  mint(poor, 299);
  mint(rich, 600);  // enough for two replicas at once
  submit_logged(1, 1, 1);
  submit_logged(1, 1, 2);
  submit_logged(1, 1, 3);
  auto assigns = only<AssignAction>(step());
  ASSERT_EQ(assigns.size(), 2u);
  for (const auto& a : assigns) EXPECT_EQ(a.worker, rich);
  EXPECT_EQ(engine_->available(rich), 0u);
  EXPECT_EQ(engine_->available(poor), 299u);
}

TEST_F(EconomicsTest, SuccessPaysWinnersByLog2WeightAndSeizesTheLosersStake) {
  mint(requester_.public_key(), 1000);
  mint(pool_.public_key(), 300);
  mint(kitty_account(), 500);
  PublicKey w[4] = {add_worker(1), add_worker(2), add_worker(3), add_worker(4)};
  for (PublicKey k : w) mint(k, 1000);
  engine_->set_score(w[0], 9);   // weight 2, log2 1
  engine_->set_score(w[1], 30);  // weight 9, log2 3
  engine_->set_score(w[2], 30);
  engine_->set_score(w[3], 9);
  TaskId id = submit_logged(3, 3, 1);
  auto first = only<AssignAction>(step());
  Digest32 good = digest_of("good"), bad = digest_of("bad");
  PublicKey liar = first[0].worker;
  ASSERT_TRUE(contribute(liar, id, bad).ok());
  for (int round = 0; round < 3 && engine_->task_view(id)->phase == TaskPhase::running; ++round) {
    for (const auto& a : only<AssignAction>(step()))
      ASSERT_TRUE(contribute(a.worker, id, good).ok());
    for (std::size_t i = 1; i < first.size(); ++i) (void)contribute(first[i].worker, id, good);
  }
  ASSERT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
  std::vector<PublicKey> winners;
  const TaskView view = *engine_->task_view(id);  // a copy: the loop must not outlive it
  for (const auto& r : view.replicas) {
    if (r.phase == ReplicaPhase::contributed && r.result_hash == result_hash(id, good)) {
      ASSERT_TRUE(engine_->on_reveal(r.worker, id, good, now_).ok());
      winners.push_back(r.worker);
    }
  }
  ASSERT_TRUE(engine_->on_upload(*engine_->uploader(id), id, good, 4, now_).ok());
  auto fin = finish_logged(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  ASSERT_TRUE(fin[0].record.completed);
  // The reward is the price plus the liar's stake; the workers share 90% of it by log2 weight.
  std::vector<std::uint64_t> shares;
  for (const auto& c : fin[0].record.contributions) {
    if (c.outcome == Outcome::winner) shares.push_back(floor_log2(c.weight));
  }
  RewardSplit split = split_reward(1000 + 300, 10, shares);
  std::size_t i = 0;
  for (const auto& c : fin[0].record.contributions) {
    const Amount now_free = engine_->accounts().get(c.worker).free;
    if (c.outcome == Outcome::winner) {
      EXPECT_EQ(now_free, 1000 + split.workers[i++]);
    } else {
      EXPECT_EQ(now_free, 700u) << "the liar loses its stake";
    }
  }
  // The scheduler: its share and the dust, its stake back, and the kitty's 10% (50 >= min 20).
  EXPECT_EQ(engine_->accounts().get(pool_.public_key()), (Balance{300 + split.scheduler + 50, 0}));
  EXPECT_EQ(engine_->accounts().get(kitty_account()).free, 450u);
  EXPECT_EQ(engine_->accounts().get(id), Balance{}) << "the task's escrow is spent";
  EXPECT_EQ(engine_->available(liar), 700u);
  books_agree();
}

TEST_F(EconomicsTest, FailureRefundsTheRequesterAndTheSchedulerStakeGoesToTheKitty) {
  mint(requester_.public_key(), 1000);
  mint(pool_.public_key(), 300);
  PublicKey a = add_worker(1), b = add_worker(2);
  mint(a, 300);
  mint(b, 300);
  TaskId id = submit_logged(5, 1, 1);  // trust 5 needs three fresh workers; there are two
  step();
  ASSERT_TRUE(contribute(a, id, digest_of("x")).ok());
  ASSERT_TRUE(contribute(b, id, digest_of("y")).ok());
  auto fin = finish_logged(advance(11 * kT));
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_FALSE(fin[0].record.completed);
  EXPECT_EQ(engine_->accounts().get(requester_.public_key()).free, 1000u);
  EXPECT_EQ(engine_->accounts().get(pool_.public_key()), Balance{});
  EXPECT_EQ(engine_->accounts().get(kitty_account()).free, 300u);
  EXPECT_EQ(engine_->accounts().get(a).free, 300u) << "workers' stakes return";
  EXPECT_EQ(engine_->available(a), 300u);
  books_agree();
}

// Certificates move value by the same rules: a certified winner alone takes the workers' share,
// and a vote whose result failed its certificate pays its stake as a wrong vote does. The replay
// finds the same moves from the recorded outcomes.
TEST_F(EconomicsTest, CertificateFailureSlashesAndACertifiedWinnerIsPaid) {
  certifiable_ = true;
  mint(requester_.public_key(), 2000);
  mint(pool_.public_key(), 600);
  mint(kitty_account(), 500);
  PublicKey w[3] = {add_worker(1), add_worker(2), add_worker(3)};
  for (PublicKey k : w) mint(k, 1000);
  TaskId id = submit_logged(10, 1, 1);
  auto first = only<AssignAction>(step());
  ASSERT_EQ(first.size(), 1u);
  const PublicKey liar = first[0].worker;
  Digest32 bad = digest_of("bad"), good = digest_of("good");
  auto run_to_certificate = [&](const PublicKey& wk, const Digest32& d, bool passed) {
    ASSERT_TRUE(contribute(wk, id, d).ok());
    engine_->take_actions();
    ASSERT_TRUE(engine_->on_reveal(wk, id, d, now_).ok());
    ASSERT_TRUE(engine_->on_upload(wk, id, d, 4, now_).ok());
    auto c = only<CertifyAction>(engine_->take_actions());
    ASSERT_EQ(c.size(), 1u);
    CertificateReport r{id,
                        d,
                        true,
                        passed,
                        "freivalds",
                        passed ? 10u : 0u,
                        passed ? 10u : 0u,
                        sha256(as_bytes("seed")),
                        passed ? "" : "A(Br) != Cr in row 0"};
    ASSERT_TRUE(engine_->on_certificate(r, now_).ok());
  };
  run_to_certificate(liar, bad, false);
  EXPECT_EQ(engine_->available(liar), 700u) << "its stake stays held until the task settles";
  // Trust 10 with weight-2 workers needs four agreeing votes by replication; there are two
  // workers left, so only a certificate can finish this task: certify the fallback's votes.
  auto more = only<AssignAction>(step());
  ASSERT_EQ(more.size(), 2u);
  ASSERT_TRUE(contribute(more[0].worker, id, good).ok());
  ASSERT_TRUE(contribute(more[1].worker, id, good).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running) << "4 > 9 x 1 is false";
  auto fin = finish_logged(advance(11 * kT));
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_FALSE(fin[0].record.completed);
  EXPECT_EQ(engine_->accounts().get(liar).free, 700u) << "a failed task still slashes it";
  EXPECT_EQ(engine_->accounts().get(more[0].worker).free, 1000u);
  EXPECT_EQ(engine_->score(liar), 0u);
  books_agree();
  // A second task: the certificate decides alone and the one winner takes 90% of the price.
  TaskId id2 = submit_logged(10, 1, 2);
  auto one = only<AssignAction>(step());
  ASSERT_EQ(one.size(), 1u);
  id = id2;
  run_to_certificate(one[0].worker, good, true);
  auto fin2 = finish_logged(engine_->take_actions());
  ASSERT_EQ(fin2.size(), 1u);
  ASSERT_TRUE(fin2[0].record.completed);
  const Amount before = one[0].worker == liar ? 700 : 1000;
  EXPECT_EQ(engine_->accounts().get(one[0].worker).free, before + 900);
  books_agree();
}

TEST_F(EconomicsTest, ReplayRefusesATamperedSettlement) {
  mint(requester_.public_key(), 1000);
  mint(pool_.public_key(), 300);
  PublicKey a = add_worker(1);
  mint(a, 300);
  TaskId id = submit_logged(1, 1, 1);
  step();
  Digest32 d = digest_of("out");
  ASSERT_TRUE(contribute(a, id, d).ok());
  engine_->take_actions();
  ASSERT_TRUE(engine_->on_reveal(a, id, d, now_).ok());
  ASSERT_TRUE(engine_->on_upload(a, id, d, 3, now_).ok());
  auto fin = only<FinishAction>(engine_->take_actions());
  ASSERT_EQ(fin.size(), 1u);
  TaskRecord greedy = fin[0].record;
  for (Move& m : greedy.moves) {
    if (m.to == pool_.public_key() && m.from == id) m.amount += 1;  // one unit more for the pool
  }
  Replay copy = replay_;
  Status s = copy.apply(kCommitKind, encode_task_record(greedy));
  EXPECT_EQ(s.code(), ErrorCode::data_loss);
  EXPECT_NE(s.message().find("not what the PoCo rules give"), std::string::npos) << s.message();
  EXPECT_TRUE(replay_.apply(kCommitKind, encode_task_record(fin[0].record)).ok());
  books_agree();
}

}  // namespace
}  // namespace gpoc::verifier
