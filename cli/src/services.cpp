// `gpoc scheduler` and `gpoc worker`: the two long-running processes.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <sstream>

#include "common.hpp"
#include "gpoc/host/worker.hpp"
#include "gpoc/scheduler/scheduler.hpp"

namespace gpoc::cli {

// "10000,60000": comma-separated whole numbers of at least `min`, nothing else ("10s" is refused,
// not read as 10), and none above 2^63 - 1.
static Result<std::vector<std::uint64_t>> parse_list(const std::string& s, const std::string& flag,
                                                     std::uint64_t min, const std::string& what) {
  std::vector<std::uint64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::uint64_t v = 0;
    bool ok = !item.empty() && item.size() <= 19 &&
              item.find_first_not_of("0123456789") == std::string::npos;
    if (ok) v = std::stoull(item);
    if (!ok || v < min || v > static_cast<std::uint64_t>(INT64_MAX)) {
      return invalid_argument(flag + " takes comma-separated " + what + ", got '" + item + "'");
    }
    out.push_back(v);
  }
  if (out.empty()) return invalid_argument(flag + " needs one value per category");
  return out;
}

void add_scheduler_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "scheduler", "Run a pool's scheduler: accepts tasks, dispatches replicas, verifies, commits");
  struct Opts {
    scheduler::SchedulerConfig cfg;
    std::string categories = "10000,60000,600000,3600000";
    std::string prices;
    std::string certificates = "on";
    std::string log_level = "info";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data-dir", o->cfg.data_dir,
                  "Ledger and pool key live here (created if missing)")
      ->required();
  cmd->add_option("--client-endpoint", o->cfg.client_endpoint,
                  "ZeroMQ endpoint for requesters (tcp://HOST:PORT; port * picks one)")
      ->capture_default_str();
  cmd->add_option("--worker-endpoint", o->cfg.worker_endpoint, "ZeroMQ endpoint for workers")
      ->capture_default_str();
  cmd->add_option("--category-times-ms", o->categories,
                  "Category time T per category, comma-separated: contributions by 7T, reveals "
                  "within 2T, final deadline 10T")
      ->capture_default_str();
  cmd->add_option("--prices", o->prices,
                  "Task price per category in units, comma-separated, one per category (default: "
                  "all zero, a free pool with no escrow and no stakes)");
  cmd->add_option("--worker-stake-ratio", o->cfg.policy.worker_stake_ratio,
                  "Percent of the task price each contribution puts at stake")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--scheduler-reward-ratio", o->cfg.policy.scheduler_reward_ratio,
                  "Percent of each task's reward the scheduler keeps (the workers share the rest)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--scheduler-stake-ratio", o->cfg.policy.scheduler_stake_ratio,
                  "Percent of the task price the pool locks per task (lost to the kitty if the "
                  "task fails)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--kitty-ratio", o->cfg.policy.kitty_ratio,
                  "Percent of the kitty paid to the scheduler with each success")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--kitty-min", o->cfg.policy.kitty_min,
                  "...but at least this many units (or the whole kitty if smaller)")
      ->capture_default_str();
  cmd->add_option("--heartbeat-ms", o->cfg.heartbeat_interval_ms, "Worker heartbeat interval")
      ->capture_default_str()
      ->check(CLI::Range(10, 600'000));
  cmd->add_option("--liveness", o->cfg.heartbeat_liveness,
                  "Missed heartbeats before a worker counts as lost")
      ->capture_default_str()
      ->check(CLI::Range(2, 100));
  cmd->add_option("--input-max-bytes", o->cfg.input_bytes_max,
                  "Largest task input accepted (at most 256 MiB)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{256} << 20));
  cmd->add_option("--ready-file", o->cfg.ready_file,
                  "Write the bound endpoints and pool id here (JSON) once listening");
  cmd->add_option(
         "--commit-delay-ms", o->cfg.commit_delay_ms,
         "How long a ledger batch holding only new tasks waits for results to share its fsync")
      ->capture_default_str();
  cmd->add_option("--certificates", o->certificates,
                  "on: run a kernel's certificate on each uploaded result (exact kernels that have "
                  "one) and let a pass count toward the task's trust, so such tasks start with one "
                  "replica; off: replicas only")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error, critical, off")
      ->capture_default_str()
      ->check(CLI::IsMember(log_levels()));
  cmd->callback([o] {
    set_log_level(o->log_level);
    install_signal_handlers();
    o->cfg.certify = o->certificates == "on";
    auto cats = parse_list(o->categories, "--category-times-ms", 1, "positive milliseconds");
    if (!cats.ok()) std::exit(fail(cats.status()));
    o->cfg.policy.category_time_ms.assign(cats->begin(), cats->end());
    if (o->prices.empty()) {
      o->cfg.policy.category_price.assign(cats->size(), 0);
    } else {
      auto prices = parse_list(o->prices, "--prices", 0, "whole numbers of units");
      if (!prices.ok()) std::exit(fail(prices.status()));
      if (prices->size() != cats->size()) {
        std::exit(fail(invalid_argument("--prices gives " + std::to_string(prices->size()) +
                                        " prices for " + std::to_string(cats->size()) +
                                        " categories; give one per category")));
      }
      o->cfg.policy.category_price = *prices;
    }
    auto s = scheduler::Scheduler::create(o->cfg);
    if (!s.ok()) std::exit(fail(s.status()));
    std::unique_ptr<scheduler::Scheduler> sched = std::move(*s);
    Status run = sched->run(stop_flag());
    auto st = sched->stats();
    spdlog::info("scheduler stopped: {} accepted, {} completed, {} failed", st.accepted,
                 st.completed, st.failed);
    sched.reset();  // closes the ledger (and checkpoints its WAL) before the process exits
    std::exit(run.ok() ? 0 : fail(run));
  });
}

void add_worker_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "worker", "Run a worker: executes assignments on the GPU (or CPU), signs, reveals, uploads");
  struct Opts {
    host::WorkerConfig cfg;
    std::string byzantine = "none";
    std::string log_level = "info";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--scheduler", o->cfg.scheduler_endpoint, "The scheduler's worker endpoint")
      ->required();
  cmd->add_option("--key", o->cfg.key_file,
                  "Ed25519 key file (created with mode 0600 on first start)")
      ->required();
  cmd->add_option("--operator-cert", o->cfg.operator_cert_file,
                  "Certificate from `gpoc operator certify` naming this worker's operator: the "
                  "scheduler never gives two replicas of one task to workers of one operator. "
                  "The worker refuses to start if it is for another key or does not verify. "
                  "Without it the worker is its own operator");
  cmd->add_flag("--cpu", o->cfg.force_cpu, "Use the CPU backend even when a GPU is present");
  cmd->add_option("--slots", o->cfg.slots, "Assignments accepted at once")->capture_default_str();
  cmd->add_option("--byzantine", o->byzantine,
                  "TEST ONLY: misbehave on purpose (wrong-output, copy-vote, no-reveal, fail, "
                  "silent) to exercise verification")
      ->capture_default_str();
  cmd->add_option("--delay-ms", o->cfg.delay_ms,
                  "TEST ONLY: wait this long before running each task");
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error, critical, off")
      ->capture_default_str()
      ->check(CLI::IsMember(log_levels()));
  cmd->callback([o] {
    set_log_level(o->log_level);
    install_signal_handlers();
    auto mode = host::parse_byzantine_mode(o->byzantine);
    if (!mode.ok()) std::exit(fail(mode.status()));
    o->cfg.byzantine = *mode;
    if (o->cfg.byzantine != host::ByzantineMode::none) {
      spdlog::warn("BYZANTINE TEST MODE '{}': this worker misbehaves on purpose", o->byzantine);
    }
    auto w = host::Worker::create(o->cfg);
    if (!w.ok()) std::exit(fail(w.status()));
    std::unique_ptr<host::Worker> worker = std::move(*w);
    Status run = worker->run(stop_flag());
    worker.reset();
    std::exit(run.ok() ? 0 : fail(run));
  });
}

}  // namespace gpoc::cli
