// The engine test fixture: real keys, signatures and digests; the workers are plain structs.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/verifier/engine.hpp"

namespace gpoc::verifier::test {

constexpr std::int64_t kT = 1000;  // category time for these tests

// Drives an Engine with real keys, signatures and digests; the workers are plain structs.
class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : EngineTest(free_policy()) {}
  explicit EngineTest(Policy policy)
      : pool_(SecretKey::from_seed(Bytes(32, 0xaa))),
        requester_(SecretKey::from_seed(Bytes(32, 0xbb))) {
    PoolConfig cfg;
    cfg.pool_id = pool_.public_key();
    cfg.policy = std::move(policy);
    cfg.heartbeat_interval_ms = 100;
    cfg.heartbeat_liveness = 3;
    engine_ = std::make_unique<Engine>(cfg);
  }

  // A worker of `operator_key`; by default its own operator.
  PublicKey add_worker(std::uint8_t seed, std::uint32_t slots = 4,
                       std::optional<PublicKey> operator_key = std::nullopt) {
    keys_.emplace(seed, SecretKey::from_seed(Bytes(32, seed)));
    PublicKey pk = keys_.at(seed).public_key();
    by_key_[pk] = seed;
    engine_->worker_registered(pk, operator_key.value_or(pk), "cpu-test", slots, {"sha256@1"},
                               now_);
    return pk;
  }

  static Policy free_policy() {
    Policy p;
    p.category_time_ms = {kT};
    p.category_price = {0};
    return p;
  }

  // Builds a task; add_task's result (the escrow moves, or why it was refused) lands in `added_`.
  TaskId submit(std::uint64_t trust, std::uint32_t min_replicas = 1, std::uint64_t nonce = 1) {
    TaskSpec s;
    s.kernel_id = "sha256";
    s.input_digest = sha256(as_bytes("in"));
    s.input_bytes = 64;
    s.trust = trust;
    s.min_replicas = min_replicas;
    s.requester_key = requester_.public_key();
    s.requester_nonce = nonce;
    NewTask t;
    t.spec_bytes = *encode_task_spec(s);
    t.task_id = task_id_of(t.spec_bytes);
    t.spec = s;
    t.requester_signature = requester_.sign(t.spec_bytes);
    t.expected_output_bytes = 32;
    t.submitted_ms = now_;
    t.certifiable = certifiable_;
    added_ = engine_->add_task(std::move(t), now_);
    if (expect_accept_) {
      EXPECT_TRUE(added_.ok()) << added_.status().to_string();
    }
    return task_id_of(*encode_task_spec(s));
  }

  Digest32 digest_of(std::string_view output) { return result_digest(as_bytes(output)); }

  Status contribute(const PublicKey& w, const TaskId& id, const Digest32& digest,
                    bool forge_seal = false) {
    ContributionStatement c;
    c.pool_id = pool_.public_key();
    c.task_id = id;
    c.worker_key = w;
    c.result_hash = result_hash(id, digest);
    c.result_seal = forge_seal ? sha256(as_bytes("guess")) : result_seal(w, id, digest);
    c.output_bytes = 32;
    c.exec_class = "cpu-test";
    Bytes st = encode_contribution(c);
    return engine_->on_contribution(w, st, keys_.at(by_key_.at(w)).sign(st), now_);
  }

  // Runs a tick and returns the actions of each type.
  std::vector<Action> step(std::int64_t advance_ms = 0) {
    now_ += advance_ms;
    engine_->tick(now_);
    return engine_->take_actions();
  }

  template <typename A>
  static std::vector<A> only(const std::vector<Action>& actions) {
    std::vector<A> out;
    for (const Action& a : actions) {
      if (auto* p = std::get_if<A>(&a)) out.push_back(*p);
    }
    return out;
  }

  void heartbeat_all() {
    for (auto& [pk, seed] : by_key_) engine_->worker_seen(pk, now_);
  }

  // Moves time forward in heartbeat-sized steps with every worker alive, collecting actions.
  std::vector<Action> advance(std::int64_t ms) {
    std::vector<Action> all;
    for (std::int64_t done = 0; done < ms;) {
      std::int64_t d = std::min<std::int64_t>(50, ms - done);
      now_ += d;
      done += d;
      heartbeat_all();
      engine_->tick(now_);
      for (auto& a : engine_->take_actions()) all.push_back(std::move(a));
    }
    return all;
  }

  SecretKey pool_, requester_;
  std::map<std::uint8_t, SecretKey> keys_;
  std::map<PublicKey, std::uint8_t> by_key_;
  std::unique_ptr<Engine> engine_;
  Result<std::vector<Move>> added_ = std::vector<Move>{};
  bool expect_accept_ = true;
  bool certifiable_ = false;  // submit() marks tasks as having a certificate the caller runs
  std::int64_t now_ = 1'700'000'000'000;
};

}  // namespace gpoc::verifier::test
