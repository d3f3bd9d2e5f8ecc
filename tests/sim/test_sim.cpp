// The deterministic simulation under CI: a fixed set of seeds per scenario. A failure prints the
// seed and the command that replays it exactly.
#include <gtest/gtest.h>

#include <filesystem>

#include "gpoc/common/hex.hpp"
#include "sim.hpp"

namespace gpoc::sim {
namespace {

std::string describe(const std::string& scenario, const Report& r) {
  std::string s = "seed " + std::to_string(r.seed) + " (replay: gpoc-sim --scenario " + scenario +
                  " --seed " + std::to_string(r.seed) + ")";
  for (const std::string& v : r.violations) s += "\n  " + v;
  return s;
}

Report run_scenario(const std::string& name, std::uint64_t seed) {
  Config c;
  EXPECT_TRUE(scenario(name, seed, &c));
  c.dir = scratch_dir(name + "-" + std::to_string(seed));
  return run(c);
}

TEST(Simulation, SameSeedSameRunDifferentSeedDifferentRun) {
  Config c;
  ASSERT_TRUE(scenario("mixed", 7, &c));
  c.workers = 60;
  c.tasks = 15;
  c.dir = scratch_dir("determinism");
  c.trace_file = c.dir.string() + "-a.trace";
  Report a = run(c);
  c.trace_file = c.dir.string() + "-b.trace";
  Report b = run(c);
  c.trace_file.clear();
  std::error_code ec;
  std::filesystem::remove(c.dir.string() + "-a.trace", ec);
  std::filesystem::remove(c.dir.string() + "-b.trace", ec);
  ASSERT_TRUE(a.violations.empty()) << describe("mixed", a);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.ledger_entries, b.ledger_entries);
  EXPECT_EQ(a.committed, b.committed);
  EXPECT_EQ(a.dropped, b.dropped);
  c.seed = 8;
  Report other = run(c);
  EXPECT_NE(a.trace, other.trace);
}

class Scenario : public ::testing::TestWithParam<std::tuple<std::string, std::uint64_t>> {};

TEST_P(Scenario, InvariantsHold) {
  const auto& [name, seed] = GetParam();
  Report r = run_scenario(name, seed);
  ASSERT_TRUE(r.violations.empty()) << describe(name, r);
  EXPECT_GT(r.accepted, 0u);
  EXPECT_EQ(r.accepted, r.committed + r.failed);
  EXPECT_EQ(r.accepted, 60u) << "every submission is accepted once, whatever the faults";
  if (name == "honest") {
    // Inside the fault budget the pool is live as well as safe: everything commits, correctly.
    EXPECT_EQ(r.failed, 0u) << describe(name, r);
    EXPECT_EQ(r.committed_wrong, 0u);
    EXPECT_GE(r.scheduler_restarts, 1u);
  }
  if (name == "wrong") {
    // Random wrong results never agree, and one score-0 vote is below trust 3's threshold.
    EXPECT_EQ(r.committed_wrong, 0u) << describe(name, r);
  }
  if (name == "certified") {
    // Every committed sort_u32 result passed its certificate, at every trust: no wrong result
    // commits whatever the byzantine workers agree on, and most tasks need one replica.
    EXPECT_EQ(r.committed_wrong, 0u) << describe(name, r);
  }
  if (name == "collude") {
    // At trust 100 seven agreeing fresh votes are needed; a 30% group cannot reach that first
    // often, but at trust 2 a single colluder's vote is enough by design.
    EXPECT_EQ(r.by_trust[100].committed_wrong, 0u) << describe(name, r);
  }
}

// The same colluding group, but declared under one operator key: the scheduler gives at most one
// of them a replica of any task, and one score-0 vote never carries trust 3 or more. The same
// seeds without the declaration let the group win tasks.
TEST(Simulation, ColludersUnderOneOperatorNeverCommitAWrongResultFromTrustThree) {
  std::uint64_t wrong_when_undeclared = 0;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Config c;
    ASSERT_TRUE(scenario("collude", seed, &c));
    c.colluders_one_operator = true;
    c.trusts = {3, 10};
    c.dir = scratch_dir("collude-operator");
    Report r = run(c);
    ASSERT_TRUE(r.violations.empty()) << describe("collude", r);
    EXPECT_EQ(r.committed_wrong, 0u) << describe("collude", r);
    EXPECT_EQ(r.committed, 60u);
    c.colluders_one_operator = false;
    Report open = run(c);
    ASSERT_TRUE(open.violations.empty()) << describe("collude", open);
    wrong_when_undeclared += open.committed_wrong;
  }
  EXPECT_GT(wrong_when_undeclared, 0u);
}

INSTANTIATE_TEST_SUITE_P(FixedSeeds, Scenario,
                         ::testing::Combine(::testing::Values("honest", "wrong", "collude", "mixed",
                                                              "chaos", "certified"),
                                            ::testing::Values(1u, 2u, 3u, 4u, 5u)),
                         [](const auto& p) {
                           return std::get<0>(p.param) + "_seed" +
                                  std::to_string(std::get<1>(p.param));
                         });

}  // namespace
}  // namespace gpoc::sim
