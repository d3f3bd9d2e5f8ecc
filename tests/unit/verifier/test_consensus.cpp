#include <gtest/gtest.h>

#include "gpoc/verifier/consensus.hpp"

namespace gpoc::verifier {
namespace {

Digest32 h(std::uint8_t v) {
  Digest32 d{};
  d[0] = v;
  return d;
}

TEST(Weights, IexecClamp) {
  EXPECT_EQ(worker_weight(0), 2u);
  EXPECT_EQ(worker_weight(11), 2u);
  EXPECT_EQ(worker_weight(12), 3u);
  EXPECT_EQ(worker_weight(100), 32u);
  EXPECT_EQ(worker_weight(300), 99u);
  EXPECT_EQ(weight_log2(32), 5u);
  EXPECT_EQ(weight_log2(99), 6u);
  EXPECT_EQ(weight_log2(1), 0u);
  EXPECT_EQ(score_after_loss(100), 66u);
  EXPECT_EQ(score_after_win(7, true), 8u);
  EXPECT_EQ(score_after_win(7, false), 7u);
}

// Agreeing fresh (score 0) workers needed, with and without one prior dissenting fresh vote:
// the table in reference/iexec-poco.md section 1.5.
std::size_t agreeing_needed(std::uint64_t trust, bool dissent) {
  Tally t;
  if (dissent) t.add(h(2), worker_weight(0));
  for (std::size_t n = 1; n <= 64; ++n) {
    t.add(h(1), worker_weight(0));
    if (reaches_consensus(t.group(h(1)), t.others(h(1)), trust)) return n;
  }
  return 0;
}

TEST(Consensus, TrustTableMatchesTheReference) {
  struct Row {
    std::uint64_t trust;
    std::size_t alone, with_dissent;
  };
  const Row rows[] = {{3, 2, 3},      {5, 3, 4},       {10, 4, 5},       {100, 7, 9},
                      {1000, 10, 12}, {10000, 14, 15}, {1000000, 20, 22}};
  EXPECT_EQ(agreeing_needed(1, false), 1u);
  EXPECT_EQ(agreeing_needed(2, false), 1u);
  for (const Row& r : rows) {
    EXPECT_EQ(agreeing_needed(r.trust, false), r.alone) << "trust " << r.trust;
    EXPECT_EQ(agreeing_needed(r.trust, true), r.with_dissent) << "trust " << r.trust;
  }
}

// The worked example: scores 12, 100, 300 voting 17, 42, 42 at trust 100 reach consensus on 42
// with credibility 3168/3172.
TEST(Consensus, WorkedExample) {
  Tally t;
  t.add(h(17), worker_weight(12));
  t.add(h(42), worker_weight(100));
  EXPECT_FALSE(reaches_consensus(t.group(h(42)), t.others(h(42)), 100));
  t.add(h(42), worker_weight(300));
  EXPECT_EQ(weight_to_u64(t.group(h(42))), 3168u);
  EXPECT_EQ(weight_to_u64(t.total()), 3172u);
  EXPECT_TRUE(reaches_consensus(t.group(h(42)), t.others(h(42)), 100));
  EXPECT_EQ(*t.best(), h(42));
  EXPECT_EQ(t.members(h(42)), 2u);
}

TEST(Consensus, SaturationNeverClaimsConsensus) {
  EXPECT_EQ(sat_mul(kWeightMax, 2), kWeightMax);
  EXPECT_EQ(sat_add(kWeightMax, 1), kWeightMax);
  EXPECT_FALSE(reaches_consensus(kWeightMax, kWeightMax, 3));
  EXPECT_TRUE(reaches_consensus(kWeightMax, 10, 3));
  EXPECT_EQ(weight_to_u64(kWeightMax), UINT64_MAX);
}

TEST(Prediction, DispatchesInParallelUntilPredictedConsensus) {
  Tally empty;
  // Trust 5 with fresh workers needs 3: with 2 pending replicas more are needed, with 3 not.
  EXPECT_TRUE(needs_more_replicas(empty, 1, 0, 5));
  EXPECT_TRUE(needs_more_replicas(empty, 4, 2, 5));
  EXPECT_FALSE(needs_more_replicas(empty, 8, 3, 5));
  // Trust 1: one replica is enough.
  EXPECT_TRUE(needs_more_replicas(empty, 1, 0, 1));
  EXPECT_FALSE(needs_more_replicas(empty, 2, 1, 1));
  // A dissenting vote raises the bar: 2 agreeing + 1 pending is no longer enough at trust 5.
  Tally t;
  t.add(h(9), 2);
  t.add(h(1), 2);
  t.add(h(1), 2);
  EXPECT_TRUE(needs_more_replicas(t, 2, 1, 5));
  EXPECT_FALSE(needs_more_replicas(t, 4, 2, 5));
}

}  // namespace
}  // namespace gpoc::verifier
