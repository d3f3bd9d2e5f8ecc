// `gpoc scheduler` and `gpoc worker`: the two long-running processes.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <sstream>

#include "common.hpp"
#include "gpoc/host/worker.hpp"
#include "gpoc/scheduler/scheduler.hpp"

namespace gpoc::cli {

static std::vector<std::int64_t> parse_ms_list(const std::string& s) {
  std::vector<std::int64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

void add_scheduler_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("scheduler", "Run a pool's scheduler: accepts tasks, dispatches replicas, verifies, commits");
  struct Opts {
    scheduler::SchedulerConfig cfg;
    std::string categories = "10000,60000,600000,3600000";
    std::string log_level = "info";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data-dir", o->cfg.data_dir, "Ledger and pool key live here (created if missing)")->required();
  cmd->add_option("--client-endpoint", o->cfg.client_endpoint, "ZeroMQ endpoint for requesters (tcp://HOST:PORT; port * picks one)")
      ->capture_default_str();
  cmd->add_option("--worker-endpoint", o->cfg.worker_endpoint, "ZeroMQ endpoint for workers")->capture_default_str();
  cmd->add_option("--category-times-ms", o->categories,
                  "Category time T per category, comma-separated: contributions by 7T, reveals within 2T, final deadline 10T")
      ->capture_default_str();
  cmd->add_option("--heartbeat-ms", o->cfg.heartbeat_interval_ms, "Worker heartbeat interval")->capture_default_str();
  cmd->add_option("--liveness", o->cfg.heartbeat_liveness, "Missed heartbeats before a worker counts as lost")->capture_default_str();
  cmd->add_option("--input-max-bytes", o->cfg.input_bytes_max, "Largest task input accepted")->capture_default_str();
  cmd->add_option("--ready-file", o->cfg.ready_file, "Write the bound endpoints and pool id here (JSON) once listening");
  cmd->add_option("--commit-delay-ms", o->cfg.commit_delay_ms,
                  "How long a ledger batch holding only new tasks waits for results to share its fsync")
      ->capture_default_str();
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")->capture_default_str();
  cmd->callback([o] {
    set_log_level(o->log_level);
    install_signal_handlers();
    try {
      o->cfg.category_time_ms = parse_ms_list(o->categories);
    } catch (const std::exception&) {
      std::exit(fail(invalid_argument("--category-times-ms takes comma-separated integers")));
    }
    auto s = scheduler::Scheduler::create(o->cfg);
    if (!s.ok()) std::exit(fail(s.status()));
    Status run = (*s)->run(stop_flag());
    auto st = (*s)->stats();
    spdlog::info("scheduler stopped: {} accepted, {} completed, {} failed", st.accepted, st.completed, st.failed);
    std::exit(run.ok() ? 0 : fail(run));
  });
}

void add_worker_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("worker", "Run a worker: executes assignments on the GPU (or CPU), signs, reveals, uploads");
  struct Opts {
    host::WorkerConfig cfg;
    std::string byzantine = "none";
    std::string log_level = "info";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--scheduler", o->cfg.scheduler_endpoint, "The scheduler's worker endpoint")->required();
  cmd->add_option("--key", o->cfg.key_file, "Ed25519 key file (created with mode 0600 on first start)")->required();
  cmd->add_flag("--cpu", o->cfg.force_cpu, "Use the CPU backend even when a GPU is present");
  cmd->add_option("--slots", o->cfg.slots, "Assignments accepted at once")->capture_default_str();
  cmd->add_option("--byzantine", o->byzantine,
                  "TEST ONLY: misbehave on purpose (wrong-output, copy-vote, no-reveal, fail, silent) to exercise verification")
      ->capture_default_str();
  cmd->add_option("--delay-ms", o->cfg.delay_ms, "TEST ONLY: wait this long before running each task");
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")->capture_default_str();
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
    Status run = (*w)->run(stop_flag());
    std::exit(run.ok() ? 0 : fail(run));
  });
}

}  // namespace gpoc::cli
