// `gpoc demo`: a whole pool on loopback. A scheduler and four workers (one byzantine) as real
// processes, a batch of tasks of both kernels on fresh random data, progress while it runs, each
// task's outcome, and the ledger audit at the end.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "gpoc/client/client.hpp"
#include "gpoc/common/clock.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/process.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::cli {

struct DemoOpts {
  int workers = 4;
  int byzantine = 1;
  int tasks = 12;
  std::uint64_t trust = 3;
  std::string data_dir;
  bool keep = false;
  bool cpu = false;
  int timeout_s = 120;
};

struct DemoTask {
  std::string label;
  client::PreparedTask prepared;
  Digest32 expected{};
  bool done = false;
  wire::TaskStatus final_status;
};

static Result<nlohmann::json> wait_ready_file(const std::filesystem::path& p, Process& scheduler,
                                              int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (std::filesystem::exists(p)) {
      std::ifstream in(p);
      return nlohmann::json::parse(in, nullptr, false);
    }
    if (!scheduler.running())
      return unavailable("the scheduler exited during start-up; see its log");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status(ErrorCode::deadline_exceeded,
                "the scheduler did not start within " + std::to_string(timeout_ms) + " ms");
}

static std::string public_key_of(const std::filesystem::path& key_file) {
  std::ifstream in(key_file);
  std::string tag, seed, pub;
  in >> tag >> seed >> pub;
  return pub;
}

// Fresh random inputs for both kernels, with the answer computed here on the CPU for comparison.
static std::vector<DemoTask> make_tasks(const DemoOpts& o, const SecretKey& key) {
  std::mt19937_64 rng(std::random_device{}());
  auto cpu = kernels::make_cpu_backend();
  std::vector<DemoTask> out;
  for (int i = 0; i < o.tasks; ++i) {
    client::SubmitOptions s;
    s.trust = o.trust;
    Bytes input;
    DemoTask t;
    if (i % 2 == 0) {
      std::uint64_t record = 32 + rng() % 200, n = 1 + rng() % 5000;
      input.resize(record * n);
      s.kernel = "sha256";
      s.params = {{"record_bytes", std::to_string(record)}};
      t.label = "sha256   " + std::to_string(n) + " records x " + std::to_string(record) + " B";
    } else {
      std::uint64_t n = 1 + rng() % 200'000;
      input.resize(n * 4);
      s.kernel = "sort_u32";
      t.label = "sort_u32 " + std::to_string(n) + " values";
    }
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    auto local = cpu->run(s.kernel, 1, s.params, input);
    auto prepared = client::prepare_task(s, input, key);
    if (!local.ok() || !prepared.ok()) continue;
    t.expected = local->digest;
    t.prepared = std::move(*prepared);
    out.push_back(std::move(t));
  }
  return out;
}

static std::string describe(const DemoTask& t, const std::map<std::string, std::string>& names) {
  const wire::TaskStatus& st = t.final_status;
  std::string line = short_hex(ByteView(t.prepared.task_id), 10) + "  " + t.label + "  " +
                     client::state_name(st.state());
  if (st.finished_ms() != 0)
    line += " in " + std::to_string(st.finished_ms() - st.submitted_ms()) + " ms";
  int votes = 0, agreeing = 0;
  std::string outvoted, refuted;
  for (const auto& r : st.replicas()) {
    if (r.result_hash().empty()) continue;
    ++votes;
    if (r.winner()) {
      ++agreeing;
    } else {
      auto n = names.find(to_hex(as_bytes(r.worker_key())));
      std::string& list = r.note().find("certificate") != std::string::npos ? refuted : outvoted;
      list += (list.empty() ? "" : ", ") +
              (n == names.end() ? short_hex(as_bytes(r.worker_key())) : n->second);
    }
  }
  line += ": " + std::to_string(st.replicas_size()) +
          (st.replicas_size() == 1 ? " replica, " : " replicas, ") + std::to_string(agreeing) +
          "/" + std::to_string(votes) + " votes agree";
  if (st.has_certificate()) line += ", certified (" + st.certificate().method() + ")";
  if (!outvoted.empty()) line += ", outvoted: " + outvoted;
  if (!refuted.empty()) line += ", failed the certificate: " + refuted;
  if (st.state() == wire::TASK_COMPLETED) {
    line += to_hex(as_bytes(st.digest())) == to_hex(t.expected)
                ? ", digest matches local CPU result"
                : ", DIGEST DIFFERS";
  } else if (!st.reason().empty()) {
    line += " (" + st.reason() + ")";
  }
  return line;
}

// The demo pool charges this per task; workers stake 30% of it per contribution, the pool 30%.
constexpr Amount kDemoPrice = 1000;
constexpr Amount kDemoWorkerFunds = 10 * kDemoPrice;

static Amount free_of(client::Client& c, const PublicKey& k) {
  auto st = c.account(k);
  return st.ok() ? st->free() : 0;
}

// The pool's SLA: every worker up, in 1-second slices, over two 4-second periods. The pool stakes
// the collateral, the requester hedges in the user pool; one honest worker stops for the second
// period, which breaches it. Returns whether both periods settled as the formula says.
static Result<bool> run_demo_sla(client::Client& c, const SecretKey& pool_key,
                                 const SecretKey& requester, std::vector<Process>& workers,
                                 std::size_t worker_count) {
  constexpr Amount kCollateral = 4'000, kHedge = 1'000;
  GPOC_RETURN_IF_ERROR(
      c.mint(pool_key, pool_key.public_key(), kCollateral, "demo SLA collateral").status());
  GPOC_RETURN_IF_ERROR(c.mint(pool_key, requester.public_key(), kHedge, "demo SLA hedge").status());
  SlaCreateOptions so;
  so.name = "demo: every worker up";
  so.sli = "availability";
  so.op = ">=";
  so.target = "99";
  so.period = "custom";
  so.period_seconds = 4;
  so.periods = 2;
  so.slice_seconds = 1;
  so.min_workers = static_cast<std::uint32_t>(worker_count);
  so.leverage = 2;
  const std::int64_t now_ms = SystemClock::instance().now_ms();
  so.start_ms = (now_ms / 1000 + 1) * 1000;  // the next whole second
  GPOC_ASSIGN_OR_RETURN(sla::SlaSpec spec, build_sla_spec(so, pool_key.public_key(), now_ms));
  GPOC_ASSIGN_OR_RETURN(wire::SlaInfo info, create_sla(c, pool_key, spec));
  const sla::SlaId id = sla::sla_id_of(sla::encode_spec(spec));
  std::cout << "SLA " << to_hex(id).substr(0, 16) << ": availability >= 99% of 1 s slices with all "
            << worker_count << " workers up, 2 periods of 4 s, leverage 2\n";
  GPOC_RETURN_IF_ERROR(
      stake_sla(c, pool_key, pool_key.public_key(), id, sla::PoolSide::provider, kCollateral, false)
          .status());
  GPOC_RETURN_IF_ERROR(
      stake_sla(c, requester, pool_key.public_key(), id, sla::PoolSide::user, kHedge, false)
          .status());
  std::cout << "  staked " << kCollateral << " units of provider collateral (the pool) and "
            << kHedge << " units of user hedge (the requester)\n";
  auto sleep_until = [](std::int64_t t) {
    while (SystemClock::instance().now_ms() < t)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  const sla::PeriodBounds p1 = sla::period_bounds(spec, 1);
  sleep_until(p1.begin_ms);
  workers.front().stop();
  std::cout << "  worker-1 stopped for period 1; waiting for both periods to settle\n"
            << std::flush;
  for (int i = 0; i < 100; ++i) {
    sleep_until(p1.end_ms + 1'000 + i * 100);
    GPOC_ASSIGN_OR_RETURN(wire::SlaList l, c.sla_query(id, std::nullopt));
    info = l.slas(0);
    if (info.next_period() >= 2) break;
  }
  print_sla_report(info, false);
  // Period 0 had every worker up; period 1 lost worker-1: respected, then breached.
  const bool as_expected = info.next_period() == 2 && info.periods_size() == 2 &&
                           info.periods(0).outcome() == "respected" &&
                           info.periods(1).outcome() == "breached" &&
                           info.provider_pool() + info.user_pool() == kCollateral + kHedge;
  return as_expected;
}

static int run_demo(const DemoOpts& o) {
  std::filesystem::path dir = o.data_dir;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gpoc-demo-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      return fail(unavailable("cannot create a temporary directory"));
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);
  const std::string exe = self_executable().string();
  std::cout << "gpoc demo: pool data in " << dir.string() << "\n";
  auto sched =
      Process::spawn({exe, "scheduler", "--data-dir", (dir / "pool").string(), "--client-endpoint",
                      "tcp://127.0.0.1:*", "--worker-endpoint", "tcp://127.0.0.1:*", "--ready-file",
                      (dir / "ready.json").string(), "--category-times-ms", "5000",
                      "--heartbeat-ms", "250", "--prices", std::to_string(kDemoPrice)},
                     dir / "scheduler.log");
  if (!sched.ok()) return fail(sched.status());
  auto ready = wait_ready_file(dir / "ready.json", *sched, 15'000);
  if (!ready.ok()) return fail(ready.status());
  std::string client_ep = (*ready)["client_endpoint"], worker_ep = (*ready)["worker_endpoint"];
  std::cout << "scheduler up: clients " << client_ep << ", workers " << worker_ep << "\n";
  std::vector<Process> workers;
  std::map<std::string, std::string> names;  // public key hex -> display name
  for (int i = 1; i <= o.workers; ++i) {
    bool bad = i > o.workers - o.byzantine;
    std::filesystem::path key = dir / ("worker-" + std::to_string(i) + ".key");
    std::vector<std::string> argv = {exe,     "worker",     "--scheduler", worker_ep,
                                     "--key", key.string(), "--slots",     "4"};
    if (o.cpu) argv.push_back("--cpu");
    if (bad) argv.insert(argv.end(), {"--byzantine", "wrong-output"});
    auto w = Process::spawn(argv, dir / ("worker-" + std::to_string(i) + ".log"));
    if (!w.ok()) return fail(w.status());
    workers.push_back(std::move(*w));
    for (int t = 0; t < 200 && !std::filesystem::exists(key); ++t)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string name = "worker-" + std::to_string(i) + (bad ? " (byzantine: wrong-output)" : "");
    names[public_key_of(key)] = name;
    std::cout << "  " << name << " key " << public_key_of(key).substr(0, 16) << "\n";
  }
  auto key = load_or_create_key_file(dir / "requester.key");
  if (!key.ok()) return fail(key.status());
  std::vector<DemoTask> tasks = make_tasks(o, *key);
  client::Client c(client_ep, *key);
  if (Status s = c.connect(); !s.ok()) return fail(s);
  // The operator funds the accounts: the requester pays per task, the pool and every worker stake.
  auto pool_key = load_key_file(dir / "pool" / "scheduler.key");
  if (!pool_key.ok()) return fail(pool_key.status());
  std::map<std::string, Amount> funded;  // account hex -> units minted
  auto fund = [&](const PublicKey& k, Amount amount, const std::string& memo) -> Status {
    auto st = c.mint(*pool_key, k, amount, memo);
    if (!st.ok()) return st.status().with_context("mint");
    funded[to_hex(k)] = amount;
    return ok_status();
  };
  const Amount task_funds = kDemoPrice * tasks.size();
  if (Status s = fund(key->public_key(), task_funds, "demo requester credit"); !s.ok())
    return fail(s);
  if (Status s = fund(pool_key->public_key(), task_funds, "demo pool stake"); !s.ok())
    return fail(s);
  for (const auto& [hex, name] : names) {
    auto k = from_hex_array<32>(hex);
    if (Status s = fund(*k, kDemoWorkerFunds, "demo worker stake"); !s.ok()) return fail(s);
  }
  std::cout << "minted " << task_funds << " units to the requester and the pool, "
            << kDemoWorkerFunds << " to each worker (price " << kDemoPrice << " per task)\n";
  std::cout << "submitting " << tasks.size() << " tasks at trust " << o.trust << " (credibility > "
            << (100.0 - 100.0 / static_cast<double>(o.trust)) << "%)\n";
  for (DemoTask& t : tasks) {
    auto sub = c.submit(t.prepared);
    if (!sub.ok()) return fail(sub.status().with_context("submit"));
  }
  auto start = std::chrono::steady_clock::now();
  std::size_t finished = 0, good = 0;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const char* clear = tty ? "\r\033[K" : "";
  while (finished < tasks.size()) {
    for (DemoTask& t : tasks) {
      if (t.done) continue;
      auto st = c.status(t.prepared.task_id);
      if (!st.ok()) return fail(st.status());
      if (st->state() != wire::TASK_COMPLETED && st->state() != wire::TASK_FAILED) continue;
      t.done = true;
      t.final_status = *st;
      ++finished;
      bool ok = st->state() == wire::TASK_COMPLETED &&
                to_hex(as_bytes(st->digest())) == to_hex(t.expected);
      good += ok ? 1 : 0;
      std::cerr << clear;
      std::cout << describe(t, names) << "\n" << std::flush;
    }
    if (tty)
      std::cerr << clear << "[" << finished << "/" << tasks.size() << " finished]" << std::flush;
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(o.timeout_s)) {
      std::cerr << "\n";
      return fail(Status(ErrorCode::deadline_exceeded,
                         "tasks did not finish in time; logs in " + dir.string()));
    }
    if (finished < tasks.size()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << clear;
  std::size_t fetched = 0;
  for (DemoTask& t : tasks) {
    if (t.final_status.state() != wire::TASK_COMPLETED) continue;
    auto out = c.fetch_result(t.prepared.task_id);
    if (out.ok()) ++fetched;
  }
  std::cout << good << "/" << tasks.size() << " tasks committed with the expected result; "
            << fetched << " results fetched and checked against their committed digests\n";
  std::cout << "accounts after settlement (units):\n"
            << "  requester  " << free_of(c, key->public_key()) << " (paid for " << good
            << " tasks)\n";
  for (const auto& [hex, name] : names) {
    auto k = from_hex_array<32>(hex);
    const Amount now = free_of(c, *k);
    const Amount before = funded[hex];
    std::cout << "  " << name << "  " << now << " ("
              << (now >= before ? "+" + std::to_string(now - before)
                                : "-" + std::to_string(before - now))
              << ")\n";
  }
  std::cout << "  pool       " << free_of(c, pool_key->public_key()) << "\n"
            << "  kitty      " << free_of(c, kitty_account()) << "\n";
  auto sla_report = run_demo_sla(c, *pool_key, *key, workers, names.size());
  if (!sla_report.ok()) return fail(sla_report.status().with_context("SLA"));
  for (Process& w : workers) w.stop();
  sched->stop();
  std::cout << "ledger audit: gpoc ledger verify --data-dir " << (dir / "pool").string() << "\n"
            << std::flush;
  auto verify = Process::spawn({exe, "ledger", "verify", "--data-dir", (dir / "pool").string()});
  int verify_rc = verify.ok() ? verify->wait(60'000).value_or(-1) : -1;
  bool all_ok = good == tasks.size() && fetched == good && verify_rc == 0 && *sla_report;
  if (!o.keep && o.data_dir.empty() && all_ok) std::filesystem::remove_all(dir);
  std::cout << (all_ok ? "demo OK\n" : "demo FAILED; logs in " + dir.string() + "\n");
  return all_ok ? 0 : 1;
}

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "Run a whole pool on this machine: scheduler, workers (one byzantine), tasks, audit");
  auto o = std::make_shared<DemoOpts>();
  cmd->add_option("--workers", o->workers, "Worker processes")
      ->capture_default_str()
      ->check(CLI::Range(2, 32));
  cmd->add_option("--byzantine", o->byzantine, "How many of them misbehave (wrong-output)")
      ->capture_default_str();
  cmd->add_option("--tasks", o->tasks, "Tasks to submit, alternating sha256 and sort_u32")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--trust", o->trust, "Trust asked for each task")->capture_default_str();
  cmd->add_option("--data-dir", o->data_dir,
                  "Keep the pool here (default: a temporary directory, removed on success)");
  cmd->add_flag("--keep", o->keep, "Keep the temporary directory (ledger, keys, logs)");
  cmd->add_flag("--cpu", o->cpu, "Run the workers on the CPU even when a GPU is present");
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for the tasks")
      ->capture_default_str();
  cmd->callback([o] {
    if (o->byzantine < 0 || o->byzantine >= o->workers)
      std::exit(fail(invalid_argument("--byzantine must be below --workers")));
    std::exit(run_demo(*o));
  });
}

}  // namespace gpoc::cli
