// Operators: no two replicas of one task go to workers of one operator key.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "engine_fixture.hpp"

namespace gpoc::verifier {
namespace {

using test::EngineTest;
using test::kT;

class OperatorTest : public EngineTest {
 protected:
  PublicKey operator_of(const PublicKey& worker) const {
    for (const WorkerView& w : engine_->workers()) {
      if (w.key == worker) return w.operator_key;
    }
    ADD_FAILURE() << "unknown worker";
    return {};
  }
  // The operators of every replica the task has had, one entry per replica.
  std::vector<PublicKey> replica_operators(const TaskId& id) const {
    std::vector<PublicKey> out;
    const std::optional<TaskView> view = engine_->task_view(id);
    for (const ReplicaView& r : view->replicas) out.push_back(operator_of(r.worker));
    return out;
  }

  const PublicKey farm_ = SecretKey::from_seed(Bytes(32, 0xf1)).public_key();
  const PublicKey other_farm_ = SecretKey::from_seed(Bytes(32, 0xf2)).public_key();
};

TEST_F(OperatorTest, WorkersOfOneOperatorNeverShareATask) {
  // Four workers of one farm, one of another farm, one on its own: at most three operators.
  for (std::uint8_t s = 1; s <= 4; ++s) add_worker(s, 8, farm_);
  add_worker(5, 8, other_farm_);
  PublicKey solo = add_worker(6, 8);
  std::vector<TaskId> ids;
  for (std::uint64_t n = 1; n <= 6; ++n) ids.push_back(submit(5, 1, n));  // three replicas each
  auto assigns = only<AssignAction>(step());
  EXPECT_EQ(assigns.size(), 18u);
  for (const TaskId& id : ids) {
    std::vector<PublicKey> ops = replica_operators(id);
    ASSERT_EQ(ops.size(), 3u);
    std::set<PublicKey> distinct(ops.begin(), ops.end());
    EXPECT_EQ(distinct, (std::set<PublicKey>{farm_, other_farm_, solo}));
  }
  // The farm's load still spreads over its four workers.
  std::map<PublicKey, int> per_worker;
  for (const AssignAction& a : assigns) ++per_worker[a.worker];
  for (std::uint8_t s = 1; s <= 4; ++s) {
    EXPECT_GE(per_worker[keys_.at(s).public_key()], 1) << int(s);
  }
}

TEST_F(OperatorTest, TwoWorkersOfOneOperatorWaitForAThirdOfAnother) {
  PublicKey a = add_worker(1, 4, farm_), b = add_worker(2, 4, farm_);
  TaskId id = submit(3);  // two agreeing fresh workers needed
  auto first = only<AssignAction>(step());
  ASSERT_EQ(first.size(), 1u);  // the second replica would be the same farm's
  Digest32 d = digest_of("x");
  ASSERT_TRUE(contribute(first[0].worker, id, d).ok());
  EXPECT_TRUE(only<AssignAction>(advance(3 * kT)).empty());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::running);
  PublicKey sibling = first[0].worker == a ? b : a;
  EXPECT_EQ(contribute(sibling, id, d).code(), ErrorCode::permission_denied);  // never assigned
  PublicKey c = add_worker(3, 4, other_farm_);
  auto second = only<AssignAction>(step());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].worker, c);
  ASSERT_TRUE(contribute(c, id, d).ok());
  EXPECT_EQ(engine_->task_view(id)->phase, TaskPhase::revealing);
}

TEST_F(OperatorTest, AReleasedReplicaStillCountsForItsOperator) {
  // As for the worker itself: a farm whose replica failed gets no second one on that task.
  add_worker(1, 4, farm_);
  add_worker(2, 4, farm_);
  TaskId id = submit(1);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 1u);
  ASSERT_TRUE(engine_->on_task_failure(as[0].worker, id, "out of memory", now_).ok());
  EXPECT_TRUE(only<AssignAction>(step()).empty());
  PublicKey solo = add_worker(3);
  auto re = only<AssignAction>(step());
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0].worker, solo);
  EXPECT_EQ(engine_->task_view(id)->replicas[0].phase, ReplicaPhase::failed);
}

TEST_F(OperatorTest, AWorkerWithoutACertificateIsItsOwnOperator) {
  PublicKey w[3] = {add_worker(1), add_worker(2), add_worker(3)};
  for (const PublicKey& k : w) EXPECT_EQ(operator_of(k), k);
  submit(5);
  auto as = only<AssignAction>(step());
  ASSERT_EQ(as.size(), 3u);  // as without operators: three workers, three replicas at once
  std::set<PublicKey> got;
  for (const AssignAction& a : as) got.insert(a.worker);
  EXPECT_EQ(got, (std::set<PublicKey>{w[0], w[1], w[2]}));
  // A worker certified by another worker's key is that worker's sibling.
  TaskId id2 = submit(5, 1, 2);
  add_worker(4, 4, w[0]);
  step();
  auto ops = replica_operators(id2);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), w[0]), 1);
  EXPECT_EQ(ops.size(), 3u);
}

}  // namespace
}  // namespace gpoc::verifier
