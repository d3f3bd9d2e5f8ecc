// An SLA end to end with real processes: a worker's availability SLA, its provider and user
// stakes, the worker down for a measured stretch, the breached period's compensation in the ledger
// exactly as the DSLA v2 formula gives it, the next period respected, and a restart that settles
// nothing twice.
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "gpoc/common/clock.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/sla/book.hpp"
#include "pool_fixture.hpp"

namespace gpoc::testing {
namespace {

using Json = nlohmann::json;

std::int64_t now_ms() { return SystemClock::instance().now_ms(); }
void sleep_until(std::int64_t t) {
  while (now_ms() < t) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// DSLA v2 in integers, written out here independently of the library: deviation in basis points,
// capped at 2500; a breach pays U * L * dev, or P * dev past 25% of P; a respected period pays
// P * dev / L, or U * dev past 25% of U.
std::uint64_t deviation_bp(std::int64_t sli, std::int64_t slo) {
  const std::int64_t diff = sli > slo ? sli - slo : slo - sli;
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(diff * 20'000 / (sli + slo)), 2'500);
}
std::uint64_t compensation(std::uint64_t p, std::uint64_t u, std::uint64_t l, std::uint64_t dev) {
  std::uint64_t c = u * l * dev / 10'000;
  return c > p * 2'500 / 10'000 ? p * dev / 10'000 : c;
}
std::uint64_t reward(std::uint64_t p, std::uint64_t u, std::uint64_t l, std::uint64_t dev) {
  std::uint64_t r = p * dev / (l * 10'000);
  return r > u * 2'500 / 10'000 ? u * dev / 10'000 : r;
}

class SlaTest : public PoolTest {
 protected:
  Json json(const std::vector<std::string>& args) {
    auto [rc, out] = run_gpoc(dir_, args);
    EXPECT_EQ(rc, 0) << out;
    auto brace = out.find_first_of("{[");
    return brace == std::string::npos ? Json() : Json::parse(out.substr(brace), nullptr, false);
  }
  // `gpoc sla create` against this pool with `terms`.
  std::vector<std::string> create_args(const std::vector<std::string>& terms) const {
    std::vector<std::string> args = {
        "sla", "create", "--data-dir", (dir_ / "pool").string(), "--scheduler", client_ep_};
    args.insert(args.end(), terms.begin(), terms.end());
    return args;
  }
  // The same, expected to succeed: the created SLA as `--json` prints it.
  Json create(std::vector<std::string> terms) {
    terms.push_back("--json");
    return json(create_args(terms));
  }
  // An on-time SLA over one 1-hour period (1 s slices) for `provider` ("pool" or a key).
  Json create_on_time(const std::string& provider, const std::string& target) {
    return create({"--provider", provider, "--sli", "on_time", "--op", ">=", "--target", target,
                   "--period", "custom", "--period-seconds", "3600", "--periods", "1",
                   "--slice-seconds", "1"});
  }
  Json report(const std::string& id) {
    return json({"sla", "report", id, "--scheduler", client_ep_, "--json"});
  }
  // The sla.settle entries in the ledger database, decoded.
  std::vector<sla::SettleRecord> settle_entries() {
    std::vector<sla::SettleRecord> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(
        sqlite3_open_v2((dir_ / "pool" / "ledger.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(db, "SELECT body FROM entries WHERE kind = 'sla.settle' ORDER BY seq",
                           -1, &st, nullptr),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 0));
      auto r = sla::decode_settle_record(
          ByteView(p, static_cast<std::size_t>(sqlite3_column_bytes(st, 0))));
      EXPECT_TRUE(r.ok()) << r.status().to_string();
      if (r.ok()) out.push_back(*r);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
};

TEST_F(SlaTest, WorkerDownBreachesItsAvailabilitySlaAndTheCompensationIsTheFormulas) {
  start_scheduler();
  start_worker(1);  // the provider held to the SLA
  start_worker(2);
  const std::string pool = (dir_ / "pool").string();
  const std::string prov = (dir_ / "provider.key").string(), user = (dir_ / "user.key").string();
  for (const auto& [key, amount] : {std::pair{prov, "10000"}, std::pair{user, "9000"}}) {
    ASSERT_TRUE(write_key_file(key, SecretKey::generate()).ok());
    auto [rc, out] = run_gpoc(dir_, {"account", "mint", "--data-dir", pool, "--scheduler",
                                     client_ep_, "--key", key, "--amount", amount});
    ASSERT_EQ(rc, 0) << out;
  }
  // availability >= 90% of 1 s slices, two 12 s periods, leverage 2.
  constexpr std::int64_t kPeriodMs = 12'000, kSlo = 90'000;
  constexpr std::uint64_t kLeverage = 2;
  const std::int64_t start = (now_ms() / 1000 + 2) * 1000;
  Json created = create({"--provider",
                         to_hex(worker_key(1)),
                         "--sli",
                         "availability",
                         "--op",
                         ">=",
                         "--target",
                         "90",
                         "--period",
                         "custom",
                         "--period-seconds",
                         "12",
                         "--periods",
                         "2",
                         "--slice-seconds",
                         "1",
                         "--leverage",
                         "2",
                         "--start-ms",
                         std::to_string(start)});
  ASSERT_TRUE(created.is_object());
  const std::string id = created["sla_id"];
  EXPECT_EQ(created["terms"]["provider"], to_hex(worker_key(1)));
  EXPECT_EQ(created["terms"]["target"], kSlo);

  auto stake = [&](const std::string& key, const std::string& side, const std::string& amount) {
    return run_gpoc(dir_, {"sla", "stake", id.substr(0, 12), "--scheduler", client_ep_, "--side",
                           side, "--amount", amount, "--key", key});
  };
  auto [rc_p, out_p] = stake(prov, "provider", "10000");
  ASSERT_EQ(rc_p, 0) << out_p;
  auto [rc_u, out_u] = stake(user, "user", "2000");
  ASSERT_EQ(rc_u, 0) << out_u;
  // (U + a) * L <= P: 2000 + 4000 more would need 12 000 of collateral.
  auto [rc_x, out_x] = stake(user, "user", "4000");
  EXPECT_EQ(rc_x, 1) << out_x;
  EXPECT_NE(out_x.find("leverage"), std::string::npos) << out_x;

  // Worker 1 goes down 3 s into period 0 and comes back 5 s later.
  sleep_until(start + 3'000);
  const std::int64_t down_at = now_ms();
  workers_.front()->stop();
  sleep_until(down_at + 5'000);
  const std::int64_t up_at = now_ms();
  start_worker(1);

  // Period 0 settles shortly after it ends (plus the scheduler's grace of 3 heartbeats).
  Json r;
  for (int i = 0; i < 100; ++i) {
    sleep_until(start + kPeriodMs + 500 + i * 100);
    r = report(id);
    if (r["next_period"] >= 1) break;
  }
  ASSERT_GE(r["next_period"], 1) << r.dump();
  Json p0 = r["periods"][0];
  EXPECT_EQ(p0["outcome"], "breached");
  EXPECT_EQ(p0["total"], 12);  // the scheduler observed every slice of the period
  // Whole slices inside the outage are down; a heartbeat vouches for 2 intervals (200 ms) and
  // the worker needs a moment to register again, so the count lies within a slice or two of it.
  const std::int64_t bad = p0["total"].get<std::int64_t>() - p0["good"].get<std::int64_t>();
  const std::int64_t stretch_s = (up_at - down_at) / 1000;
  EXPECT_GE(bad, stretch_s - 2) << p0.dump();
  EXPECT_LE(bad, stretch_s + 1) << p0.dump();
  const std::int64_t sli = p0["good"].get<std::int64_t>() * 100'000 / 12;
  EXPECT_EQ(p0["sli"], sli);
  const std::uint64_t dev0 = deviation_bp(sli, kSlo);
  const std::uint64_t c = compensation(10'000, 2'000, kLeverage, dev0);
  EXPECT_EQ(p0["rate_bp"], dev0);
  EXPECT_EQ(p0["amount"], c);
  EXPECT_TRUE(p0["to_users"].get<bool>());
  EXPECT_EQ(p0["provider_after"], 10'000 - c);
  EXPECT_EQ(p0["user_after"], 2'000 + c);

  // Period 1: the worker stays up, the SLO holds, the providers earn the premium.
  for (int i = 0; i < 100; ++i) {
    sleep_until(start + 2 * kPeriodMs + 500 + i * 100);
    r = report(id);
    if (r["next_period"] >= 2) break;
  }
  ASSERT_EQ(r["next_period"], 2) << r.dump();
  Json p1 = r["periods"][1];
  EXPECT_EQ(p1["outcome"], "respected") << p1.dump();
  const std::uint64_t dev1 = deviation_bp(p1["sli"].get<std::int64_t>(), kSlo);
  const std::uint64_t rw = reward(10'000 - c, 2'000 + c, kLeverage, dev1);
  EXPECT_EQ(p1["amount"], rw);
  EXPECT_EQ(r["provider_pool"], 10'000 - c + rw);
  EXPECT_EQ(r["user_pool"], 2'000 + c - rw);

  // The ledger holds exactly those moves, between the two pool accounts only.
  std::vector<sla::SettleRecord> entries = settle_entries();
  ASSERT_EQ(entries.size(), 2u);
  auto sla_id = from_hex_array<32>(id);
  ASSERT_TRUE(sla_id.has_value());
  ASSERT_EQ(entries[0].moves.size(), 1u);
  EXPECT_EQ(entries[0].moves[0].from, sla::provider_pool_account(*sla_id));
  EXPECT_EQ(entries[0].moves[0].to, sla::user_pool_account(*sla_id));
  EXPECT_EQ(entries[0].moves[0].amount, c);
  EXPECT_EQ(entries[0].provider_after + entries[0].user_after, 12'000u);
  if (rw > 0) {
    ASSERT_EQ(entries[1].moves.size(), 1u);
    EXPECT_EQ(entries[1].moves[0].from, sla::user_pool_account(*sla_id));
    EXPECT_EQ(entries[1].moves[0].amount, rw);
  }

  // A restart reloads the book from the ledger and settles nothing twice.
  scheduler_->stop();
  start_scheduler();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  Json again = report(id);
  EXPECT_EQ(again["next_period"], 2);
  EXPECT_EQ(again["periods"].size(), 2u);
  EXPECT_EQ(settle_entries().size(), 2u);
  // The user's stake was made during period 0, so it is free once period 0 settled: withdraw it.
  auto [rc_w, out_w] = run_gpoc(dir_, {"sla", "withdraw", id, "--scheduler", client_ep_, "--side",
                                       "user", "--amount", "100", "--key", user});
  EXPECT_EQ(rc_w, 0) << out_w;
  scheduler_->stop();
  Json v = json({"ledger", "verify", "--data-dir", pool, "--json"});
  EXPECT_EQ(v["ok"], true) << v.dump();
  EXPECT_EQ(v["slas"], 1);
  EXPECT_EQ(v["settlements"], 2);
}

// A worker whose votes are all wrong burns its on-time SLA's error budget far faster than 14.4x:
// the scheduler stops dispatching to it, says so in its log, and every task still commits.
TEST_F(SlaTest, FastBurnPausesTheWorkerAndTheTasksStillCommit) {
  start_scheduler();
  for (int i = 1; i <= 3; ++i) start_worker(i);
  start_worker(4, {"--byzantine", "wrong-output"});
  const std::string liar = to_hex(worker_key(4));
  // A 1-hour period scales the fast-page windows to 5 s and one 1 s slice.
  Json created = create_on_time(liar, "99");
  ASSERT_TRUE(created.is_object());
  std::vector<client::PreparedTask> tasks;
  client::SubmitOptions o;
  o.kernel = "sha256";
  o.params = {{"record_bytes", "64"}};
  o.trust = 3;
  for (int i = 0; i < 40; ++i) tasks.push_back(prepare(o, random_bytes(640, 300 + i)));
  for (const auto& t : tasks) ASSERT_TRUE(requester().submit(t).ok());
  std::string log;
  for (int i = 0; i < 300; ++i) {
    log = log_of("scheduler");
    if (log.find("worker " + liar.substr(0, 16) + " paused") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(log.find("worker " + liar.substr(0, 16) + " paused: SLA"), std::string::npos) << log;
  EXPECT_NE(log.find("on_time error budget burning over 14.4x"), std::string::npos);
  // The honest three outvote it while it runs and carry on without it once it is paused.
  for (const auto& t : tasks) {
    auto st = requester().wait(t.task_id, 30'000);
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    EXPECT_EQ(st->state(), wire::TASK_COMPLETED) << st->reason();
  }
  scheduler_->stop();
  EXPECT_EQ(ledger_verify(), 0);
}

// Task outcomes are in the ledger, so an on-time SLA's open period keeps its tasks across a
// scheduler restart.
TEST_F(SlaTest, OpenPeriodKeepsItsTasksAcrossARestart) {
  start_scheduler();
  for (int i = 1; i <= 3; ++i) start_worker(i);
  Json created = create_on_time("pool", "95");
  ASSERT_TRUE(created.is_object());
  const std::string id = created["sla_id"];
  client::SubmitOptions o;
  o.kernel = "sort_u32";
  o.trust = 3;
  for (int i = 0; i < 5; ++i) {
    auto st = submit_and_wait(o, random_bytes(400, 500 + i));
    ASSERT_EQ(st.state(), wire::TASK_COMPLETED);
  }
  auto open_period = [&] {
    Json r = report(id);
    return r["periods"].empty() ? Json() : r["periods"].back();
  };
  Json before = open_period();
  EXPECT_EQ(before["outcome"], "open");
  EXPECT_EQ(before["total"], 5);
  EXPECT_EQ(before["good"], 5);
  EXPECT_EQ(before["sli"], 100'000);
  scheduler_->stop();
  start_scheduler();
  Json after = open_period();
  EXPECT_EQ(after["total"], 5) << after.dump();
  EXPECT_EQ(after["good"], 5);
  EXPECT_EQ(after["evidence"], before["evidence"]);  // the same tasks, the same verdicts
  EXPECT_NE(log_of("scheduler").find("5 finished tasks from the ledger count toward open SLA"),
            std::string::npos);
}

// Bad terms are refused with the rule they break, before anything reaches the ledger.
TEST_F(SlaTest, BadTermsAndUnknownIdsAreRefusedWithTheRule) {
  start_scheduler();
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--sli", "uptime"}, "--sli must be"},
      {{"--target", "99.x"}, "--target"},
      {{"--target", "99.1234"}, "more than 3 decimal places"},
      {{"--period", "custom"}, "--period custom needs --period-seconds"},
      {{"--leverage", "0"}, "leverage"},
      {{"--sli", "latency_p99", "--op", "<=", "--target", "500"}, "kernel"},
      {{"--mode", "tiered", "--op", "=="}, "tiered"},
  };
  for (const Case& c : cases) {
    auto [rc, out] = run_gpoc(dir_, create_args(c.args));
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find(c.says), std::string::npos) << c.args[0] << ": " << out;
  }
  auto [rc, out] = run_gpoc(dir_, {"sla", "report", "abcdef12", "--scheduler", client_ep_});
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("no SLA id in this pool starts with 'abcdef12'"), std::string::npos) << out;
  auto [rc2, out2] = run_gpoc(dir_, {"sla", "list", "--scheduler", client_ep_});
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("no SLAs in this pool"), std::string::npos) << out2;
  scheduler_->stop();
  EXPECT_EQ(ledger_verify(), 0);
}

}  // namespace
}  // namespace gpoc::testing
