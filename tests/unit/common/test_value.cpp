#include <gtest/gtest.h>

#include <random>

#include "gpoc/common/value.hpp"

namespace gpoc {
namespace {

PublicKey key(std::uint8_t b) {
  PublicKey k{};
  k.fill(b);
  return k;
}

// The worked reward example (iExec V3 docs, "poco-protocol"): 27 units to share, a 5% scheduler
// ratio, two winners with log2 weights 5 and 6. In nano-units the workers get
// 25.65e9 * 5/11 and * 6/11 rounded down, and the scheduler the rest: 1.350000001 units.
TEST(Reward, WorkedExampleGolden) {
  RewardSplit s = split_reward(27'000'000'000ULL, 5, {5, 6});
  ASSERT_EQ(s.workers.size(), 2u);
  EXPECT_EQ(s.workers[0], 11'659'090'909ULL);
  EXPECT_EQ(s.workers[1], 13'990'909'090ULL);
  EXPECT_EQ(s.scheduler, 1'350'000'001ULL);
  EXPECT_EQ(s.workers[0] + s.workers[1] + s.scheduler, 27'000'000'000ULL);
}

TEST(Reward, Log2Weights) {
  EXPECT_EQ(floor_log2(1), 0u);
  EXPECT_EQ(floor_log2(2), 1u);
  EXPECT_EQ(floor_log2(32), 5u);  // score 100 -> weight 32 (the worked consensus example)
  EXPECT_EQ(floor_log2(99), 6u);  // score 300 -> weight 99
  EXPECT_EQ(floor_log2(~0ULL), 63u);
}

TEST(Reward, HugeAmountsDoNotOverflow) {
  RewardSplit s = split_reward(kSupplyMax, 0, {63, 63, 1});
  Amount sum = s.scheduler;
  for (Amount a : s.workers) sum += a;
  EXPECT_EQ(sum, kSupplyMax);
  EXPECT_LT(s.scheduler, 3u);  // only rounding dust
}

TEST(Kitty, ShareIsRatioWithAFloorButNeverMoreThanTheKitty) {
  Policy p;
  p.kitty_ratio = 10;
  p.kitty_min = 100;
  EXPECT_EQ(kitty_share(0, p), 0u);
  EXPECT_EQ(kitty_share(50, p), 50u);     // less than the minimum: all of it
  EXPECT_EQ(kitty_share(500, p), 100u);   // 10% is 50, below the minimum
  EXPECT_EQ(kitty_share(5000, p), 500u);  // 10%
}

TEST(Accounts, AllOrNothing) {
  Accounts a;
  ASSERT_TRUE(a.apply(Move{kMintSource, Pot::free, key(1), Pot::free, 100}).ok());
  // The second move fails: the first must not stick.
  Status s = a.apply({Move{key(1), Pot::free, key(2), Pot::free, 60},
                      Move{key(1), Pot::free, key(3), Pot::free, 60}});
  EXPECT_EQ(s.code(), ErrorCode::failed_precondition);
  EXPECT_NE(s.message().find("needs 60"), std::string::npos) << s.message();
  EXPECT_EQ(a.get(key(1)).free, 100u);
  EXPECT_EQ(a.get(key(2)).free, 0u);
  EXPECT_EQ(a.total(), 100u);
  EXPECT_EQ(a.minted(), 100u);
}

TEST(Accounts, MintCannotPassTheSupplyLimit) {
  Accounts a;
  ASSERT_TRUE(a.apply(Move{kMintSource, Pot::free, key(1), Pot::free, kSupplyMax}).ok());
  EXPECT_FALSE(a.apply(Move{kMintSource, Pot::free, key(2), Pot::free, 1}).ok());
  EXPECT_FALSE(a.apply(Move{key(1), Pot::free, kMintSource, Pot::free, 1}).ok());
}

TEST(Policy, RoundTripsAndRejectsNonsense) {
  Policy p;
  p.category_price = {1, 2, 3, 4};
  p.scheduler_reward_ratio = 7;
  auto back = decode_policy(encode_policy(p));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, p);
  p.scheduler_reward_ratio = 101;
  EXPECT_FALSE(p.validate().ok());
  p.scheduler_reward_ratio = 7;
  p.category_price.pop_back();
  EXPECT_FALSE(p.validate().ok());
  Bytes b = encode_policy(Policy{});
  b.push_back(0);
  EXPECT_FALSE(decode_policy(b).ok());
}

TEST(Policy, StakesArePercentagesOfThePrice) {
  Policy p;
  p.category_price = {1000, 10, 0, 5};
  p.worker_stake_ratio = 25;
  p.scheduler_stake_ratio = 30;
  EXPECT_EQ(p.worker_stake(0), 250u);
  EXPECT_EQ(p.scheduler_stake(0), 300u);
  EXPECT_EQ(p.scheduler_stake(1), 3u);
  EXPECT_EQ(p.worker_stake(2), 0u);
}

// A whole task's life in moves, success and failure, over random stakes and outcomes: value is
// conserved, the task account ends empty, and the scheduler's lock is released.
TEST(Settlement, ConservesValueAndEmptiesTheTaskAccount) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 500; ++round) {
    Policy p;
    p.category_price = {rng() % 10'000, 1, 1, 1};
    p.worker_stake_ratio = static_cast<std::uint32_t>(rng() % 60);
    p.scheduler_reward_ratio = static_cast<std::uint32_t>(rng() % 101);
    p.kitty_min = rng() % 500;
    Escrow e;
    e.task = key(200);
    e.requester = key(201);
    e.pool = key(202);
    e.price = p.price(0);
    e.scheduler_stake = p.scheduler_stake(0);
    e.worker_stake = p.worker_stake(0);
    Accounts a;
    ASSERT_TRUE(a.apply(Move{kMintSource, Pot::free, e.requester, Pot::free, 1'000'000}).ok());
    ASSERT_TRUE(a.apply(Move{kMintSource, Pot::free, e.pool, Pot::free, 1'000'000}).ok());
    ASSERT_TRUE(
        a.apply(Move{kMintSource, Pot::free, kitty_account(), Pot::free, rng() % 3000}).ok());
    std::vector<StakeResult> results;
    const int n = 1 + static_cast<int>(rng() % 6);
    bool any_winner = false;
    for (int i = 0; i < n; ++i) {
      StakeResult r;
      r.worker = key(static_cast<std::uint8_t>(10 + i));
      r.weight = 2 + rng() % 1000;
      r.winner = rng() % 2 == 0;
      r.slashed = !r.winner && rng() % 3 != 0;
      any_winner |= r.winner;
      ASSERT_TRUE(a.apply(Move{kMintSource, Pot::free, r.worker, Pot::free, 10'000}).ok());
      results.push_back(r);
    }
    const Amount128 before = a.total();
    ASSERT_TRUE(a.apply(escrow_moves(e)).ok());
    const bool success = any_winner && rng() % 4 != 0;
    std::vector<Move> end = success ? success_moves(e, results, p, a.get(kitty_account()).free)
                                    : failure_moves(e, results);
    Status s = a.apply(end);
    ASSERT_TRUE(s.ok()) << s.to_string() << " round " << round;
    EXPECT_EQ(a.total(), before);
    EXPECT_EQ(a.get(e.task), Balance{});
    EXPECT_EQ(a.get(e.pool).locked, 0u);
    if (!success) {
      EXPECT_EQ(a.get(e.requester).free, 1'000'000u);
    }
    for (const StakeResult& r : results) {
      Amount w = a.get(r.worker).free;
      if (r.slashed) {
        EXPECT_EQ(w, 10'000 - e.worker_stake);
      } else if (!success) {
        EXPECT_EQ(w, 10'000u);
      } else if (r.winner) {
        EXPECT_GE(w, 10'000u);
      }
    }
  }
}

TEST(Moves, RoundTrip) {
  std::vector<Move> m = {{key(1), Pot::free, key(2), Pot::locked, 5},
                         {kMintSource, Pot::free, key(3), Pot::free, kSupplyMax}};
  ByteWriter w(0);
  encode_moves(w, m);
  Bytes b = std::move(w).take();
  ByteReader r(b);
  std::vector<Move> back;
  ASSERT_TRUE(decode_moves(r, back));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(back, m);
  b[4 + 32] = 7;  // a pot that does not exist
  ByteReader bad(b);
  EXPECT_FALSE(decode_moves(bad, back));
}

}  // namespace
}  // namespace gpoc

namespace gpoc {
namespace {

TEST(Accounts, RestoreCountsEveryStoredUnitAsMinted) {
  PublicKey a{}, b{};
  a.fill(1);
  b.fill(2);
  auto r = Accounts::restore({{a, {10, 5}}, {b, {0, 0}}});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->get(a), (Balance{10, 5}));
  EXPECT_EQ(r->all().size(), 1u);  // empty accounts are not kept
  EXPECT_EQ(r->minted(), 15u);
  EXPECT_EQ(r->total(), 15u);
  EXPECT_EQ(Accounts::restore({{a, {kSupplyMax, 1}}}).status().code(), ErrorCode::data_loss);
}

}  // namespace
}  // namespace gpoc
