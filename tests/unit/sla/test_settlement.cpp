#include <gtest/gtest.h>

#include <random>
#include <string>

#include "gpoc/sla/settlement.hpp"

namespace gpoc::sla {
namespace {

// DSLA's integration-test SLA (sla-anchors §1.6): SLO 50 (x1000) GreaterThan, leverage 1.
SlaSpec dsla_spec() {
  SlaSpec s;
  s.sli = Sli::availability;
  s.op = SloOp::gt;
  s.target = 50'000;
  s.leverage = 1;
  s.periods = 2;
  return s;
}

SlaSpec aws_spec() {  // region-level EC2: 99.99% monthly, credits 10/30/100%
  SlaSpec s;
  s.op = SloOp::ge;
  s.target = 99'990;
  s.mode = PayoutMode::tiered;
  s.tiers = {{99'990, 1'000}, {99'000, 3'000}, {95'000, 10'000}};
  s.leverage = 2;
  return s;
}

struct Golden {
  std::int64_t sli;
  std::uint32_t dev_bp;
  Amount provider_after, user_after;
};
// The four DTK vectors: P = 385 500, U = 180 000 before period 1.
constexpr Golden kGolden[] = {
    {45'000, 1'052, 366'564, 198'936},  // breached, not capped
    {30'000, 2'500, 340'500, 225'000},  // breached, capped
    {60'000, 1'818, 418'224, 147'276},  // respected, P·dev > 25% U: fallback U·dev
    {90'000, 2'500, 430'500, 135'000},  // respected, capped
};

TEST(SlaSettlement, DslaV2GoldenVectors) {
  const SlaSpec s = dsla_spec();
  for (const Golden& g : kGolden) {
    SCOPED_TRACE("SLI " + std::to_string(g.sli));
    const Payout p = settle_period(s, 385'500, 180'000, g.sli);
    EXPECT_EQ(p.rate_bp, g.dev_bp);
    EXPECT_EQ(p.outcome, g.sli > 50'000 ? PeriodOutcome::respected : PeriodOutcome::not_respected);
    EXPECT_EQ(p.to_users, g.sli <= 50'000);
    const Amount prov = p.to_users ? 385'500 - p.amount : 385'500 + p.amount;
    const Amount user = p.to_users ? 180'000 + p.amount : 180'000 - p.amount;
    EXPECT_EQ(prov, g.provider_after);
    EXPECT_EQ(user, g.user_after);
  }
}

TEST(SlaSettlement, SecondPeriodCompoundsOnTheNewPools) {
  const SlaSpec s = dsla_spec();
  const Payout p1 = settle_period(s, 385'500, 180'000, 45'000);
  ASSERT_EQ(p1.amount, 18'936u);
  const Payout p2 = settle_period(s, 366'564, 198'936, 45'000);
  EXPECT_EQ(p2.rate_bp, 1'052u);
  EXPECT_TRUE(p2.to_users);
  EXPECT_EQ(p2.amount, 198'936u * 1'052 / 10'000);  // 20 928 (20 928.07 floored)
  EXPECT_EQ(198'936 + p2.amount, 219'864u);
}

TEST(SlaSettlement, NoDataMovesNothing) {
  EXPECT_EQ(settle_period(dsla_spec(), 385'500, 180'000, std::nullopt), Payout{});
  EXPECT_EQ(settle_period(aws_spec(), 385'500, 180'000, std::nullopt), Payout{});
  EXPECT_EQ(outcome_name(PeriodOutcome::not_respected), "breached");
  EXPECT_EQ(outcome_name(PeriodOutcome::no_data), "no_data");
}

TEST(SlaDeviation, IsSymmetricAroundTheSloAndNeverRevertsBelowIt) {
  // v1 computed SLI - SLO unsigned and reverted whenever SLI < SLO; the distance is absolute.
  SlaSpec s = dsla_spec();
  s.op = SloOp::lt;  // a latency-style objective, respected below the target
  s.target = 1'000;
  EXPECT_EQ(deviation_bp(s, 800), 200u * 20'000 / 1'800);  // 2222
  EXPECT_TRUE(is_respected(s, 800));
  EXPECT_GT(settle_period(s, 1'000'000, 100'000, 800).amount, 0u);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2'000; ++i) {
    const std::int64_t a = static_cast<std::int64_t>(rng() % 200'000);
    const std::int64_t b = static_cast<std::int64_t>(rng() % 200'000);
    SlaSpec x = dsla_spec(), y = dsla_spec();
    x.target = a;
    y.target = b;
    ASSERT_EQ(deviation_bp(x, b), deviation_bp(y, a)) << a << " vs " << b;
    // Nearer the SLO never means a larger deviation, on either side.
    ASSERT_LE(deviation_bp(x, a + (b - a) / 2), deviation_bp(x, b)) << a << " vs " << b;
  }
  s.target = 0;
  EXPECT_EQ(deviation_bp(s, 0), 0u);  // both zero: equal, no deviation
  EXPECT_EQ(deviation_bp(s, 1), 2'500u);
}

TEST(SlaDeviation, CapsAtTwentyFivePercent) {
  SlaSpec s = dsla_spec();
  EXPECT_EQ(deviation_bp(s, 50'000), 0u);
  EXPECT_EQ(deviation_bp(s, 56'666), 1'249u);  // 6666·20000/106666
  // 28% off the mean is the first capped value: |Δ|·20000/(2·SLO+Δ) >= 2500 from Δ = 14286.
  EXPECT_EQ(deviation_bp(s, 64'285), 2'499u);
  EXPECT_EQ(deviation_bp(s, 64'286), 2'500u);
  EXPECT_EQ(deviation_bp(s, 1'000'000), 2'500u);
  EXPECT_EQ(deviation_bp(s, 0), 2'500u);
}

TEST(SlaDeviation, EqualityObjectivesAreFixedAtTheCap) {
  SlaSpec s = dsla_spec();
  s.severity = {{0, 100}};  // the ladder does not apply to (in)equality either
  for (SloOp op : {SloOp::eq, SloOp::ne}) {
    s.op = op;
    EXPECT_EQ(deviation_bp(s, 50'000), 2'500u);
    EXPECT_EQ(deviation_bp(s, 50'001), 2'500u);
    EXPECT_EQ(deviation_bp(s, 0), 2'500u);
  }
  s.op = SloOp::eq;
  const Payout hit = settle_period(s, 400'000, 100'000, 50'000);
  EXPECT_EQ(hit.outcome, PeriodOutcome::respected);
  EXPECT_EQ(hit.amount, 25'000u);  // P·25% = 100 000 > U·25%: U·25%
  const Payout miss = settle_period(s, 400'000, 100'000, 50'001);
  EXPECT_EQ(miss.outcome, PeriodOutcome::not_respected);
  EXPECT_EQ(miss.amount, 25'000u);  // U·L·25% = 25 000 <= P·25%
}

TEST(SlaDeviation, LadderLastMatchWinsThenTheCap) {
  SlaSpec s = dsla_spec();
  s.severity = {{10'000, 100}, {20'000, 1'000}, {25'000, 2'000}, {40'000, 9'000}};
  EXPECT_EQ(deviation_bp(s, 15'000), 100u);
  EXPECT_EQ(deviation_bp(s, 20'000), 1'000u);  // >= at_least matches
  EXPECT_EQ(deviation_bp(s, 24'999), 1'000u);
  EXPECT_EQ(deviation_bp(s, 30'000), 2'000u);  // several match: the last one
  EXPECT_EQ(deviation_bp(s, 45'000), 2'500u);  // 9000 capped
  // No step matches: the formula, as without a ladder.
  EXPECT_EQ(deviation_bp(s, 9'999), 2'500u);
  SlaSpec plain = dsla_spec();
  s.severity = {{60'000, 300}};
  EXPECT_EQ(deviation_bp(s, 45'000), deviation_bp(plain, 45'000));
  EXPECT_EQ(deviation_bp(s, 61'000), 300u);
  // DSLA quirk kept: a matching penalty of 0 falls back to the formula.
  s.severity = {{0, 0}};
  EXPECT_EQ(deviation_bp(s, 45'000), 1'052u);
}

TEST(SlaTiered, AwsLadderPaysTenThirtyAndHundredPercent) {
  const SlaSpec s = aws_spec();
  struct Row {
    std::int64_t sli;
    std::uint32_t credit;
  };
  for (Row r : {Row{100'000, 0}, Row{99'990, 0}, Row{99'989, 1'000}, Row{99'000, 1'000},
                Row{98'999, 3'000}, Row{95'000, 3'000}, Row{94'999, 10'000}, Row{0, 10'000}}) {
    EXPECT_EQ(credit_bp(s, r.sli), r.credit) << r.sli;
  }
  // Breach: credit of U·L, at most the provider pool (a true min, so continuous).
  Payout p = settle_period(s, 1'000'000, 100'000, 99'500);
  EXPECT_EQ(p.outcome, PeriodOutcome::not_respected);
  EXPECT_TRUE(p.to_users);
  EXPECT_EQ(p.rate_bp, 1'000u);
  EXPECT_EQ(p.amount, 20'000u);  // 10% of 100 000 x 2
  p = settle_period(s, 1'000'000, 100'000, 98'000);
  EXPECT_EQ(p.amount, 60'000u);
  p = settle_period(s, 150'000, 100'000, 90'000);
  EXPECT_EQ(p.amount, 150'000u);  // 200 000 owed, the pool holds 150 000
  p = settle_period(s, 200'001, 100'000, 90'000);
  EXPECT_EQ(p.amount, 200'000u);
  // Respected: premium_bp of U to the providers (0 here).
  p = settle_period(s, 1'000'000, 100'000, 99'995);
  EXPECT_EQ(p.outcome, PeriodOutcome::respected);
  EXPECT_EQ(p.amount, 0u);
  SlaSpec paid = s;
  paid.premium_bp = 333;
  p = settle_period(paid, 1'000'000, 100'001, 99'995);
  EXPECT_EQ(p.rate_bp, 333u);
  EXPECT_FALSE(p.to_users);
  EXPECT_EQ(p.amount, 3'330u);  // 3330.03 floored
}

TEST(SlaTiered, LatencyObjectivesAreWorseAbove) {
  SlaSpec s = aws_spec();
  s.sli = Sli::latency_p99;
  s.kernel = "sha256";
  s.op = SloOp::le;
  s.target = 500;
  s.tiers = {{500, 1'000}, {1'000, 5'000}};
  EXPECT_EQ(credit_bp(s, 500), 0u);
  EXPECT_EQ(credit_bp(s, 501), 1'000u);
  EXPECT_EQ(credit_bp(s, 1'000), 1'000u);
  EXPECT_EQ(credit_bp(s, 1'001), 5'000u);
  EXPECT_EQ(settle_period(s, 1'000'000, 10'000, 2'000).amount, 10'000u);  // 50% of 10 000 x 2
}

TEST(SlaSettlement, ExactIn128BitsAndNeverMoreThanThePayerHolds) {
  // U·L·dev overflows 64 bits here; the fallback to P·dev must still be exact.
  SlaSpec s = dsla_spec();
  s.leverage = 100;
  const Amount p = kSupplyMax, u = Amount{1} << 60;
  const Payout c = settle_period(s, p, u, 0);  // dev 2500
  EXPECT_EQ(c.amount, static_cast<Amount>(static_cast<Amount128>(p) * 2'500 / 10'000));

  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) {
    SlaSpec x = (i % 3 == 0) ? aws_spec() : dsla_spec();
    x.leverage = 1 + static_cast<std::uint32_t>(rng() % 100);
    if (x.mode == PayoutMode::tiered) x.premium_bp = static_cast<std::uint32_t>(rng() % 10'001);
    const Amount pp = rng() % (Amount{1} << (rng() % 62));
    const Amount uu = rng() % (Amount{1} << (rng() % 62));
    const std::int64_t sli = static_cast<std::int64_t>(rng() % (kRatioScale + 1));
    const Payout out = settle_period(x, pp, uu, sli);
    const Amount payer = out.to_users ? pp : uu;
    ASSERT_LE(out.amount, payer) << "case " << i;
    if (x.mode == PayoutMode::deviation) {
      ASSERT_LE(out.amount, static_cast<Amount128>(payer) * kPoolCapBp / kBasisPoints)
          << "case " << i;
    }
    ASSERT_EQ(out.to_users, !is_respected(x, sli)) << "case " << i;
  }
}

TEST(SlaShares, MintAtTheShareRateFloorAndBurnCeiled) {
  EXPECT_EQ(shares_for_stake(500, 0, 0), 500u);      // empty pool: 1:1
  EXPECT_EQ(shares_for_stake(500, 1'000, 0), 500u);  // no supply: 1:1
  EXPECT_EQ(shares_for_stake(500, 0, 700), 500u);
  EXPECT_EQ(shares_for_stake(100, 300, 200), 66u);  // 66.67 floored: the staker pays the dust
  EXPECT_EQ(shares_for_stake(100, 100, 100), 100u);

  EXPECT_EQ(*shares_for_withdrawal(100, 300, 200), 67u);  // 66.67 ceiled: stayers keep the dust
  EXPECT_EQ(*shares_for_withdrawal(150, 300, 200), 100u);
  EXPECT_EQ(shares_for_withdrawal(1, 0, 200).status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(shares_for_withdrawal(1, 200, 0).status().code(), ErrorCode::failed_precondition);

  EXPECT_EQ(value_of_shares(66, 300, 200), 99u);
  EXPECT_EQ(value_of_shares(200, 300, 200), 300u);
  EXPECT_EQ(value_of_shares(5, 300, 0), 0u);
  // Large values stay exact.
  EXPECT_EQ(value_of_shares(kSupplyMax, kSupplyMax, kSupplyMax), kSupplyMax);
  EXPECT_EQ(shares_for_stake(kSupplyMax, kSupplyMax, kSupplyMax - 1), kSupplyMax - 1);
}

TEST(SlaShares, WithdrawalFeesFloor) {
  SlaSpec s;  // 30 bp owner, 15 bp protocol
  EXPECT_EQ(withdrawal_fees(s, 10'000), (Fees{30, 15}));
  EXPECT_EQ(withdrawal_fees(s, 999), (Fees{2, 1}));  // 2.997 and 1.4985
  EXPECT_EQ(withdrawal_fees(s, 66), (Fees{0, 0}));
  s.owner_fee_bp = 0;
  s.protocol_fee_bp = 1'000;
  EXPECT_EQ(withdrawal_fees(s, 12'345), (Fees{0, 1'234}));
}

}  // namespace
}  // namespace gpoc::sla
