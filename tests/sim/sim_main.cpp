// gpoc-sim: runs the deterministic pool simulation over many seeds (the soak), replays one seed,
// or sweeps byzantine fractions and trust levels for docs/VERIFICATION.md.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <sstream>

#include "gpoc/common/hex.hpp"
#include "sim.hpp"

namespace {

using gpoc::sim::Config;
using gpoc::sim::Report;
using gpoc::sim::Strategy;

nlohmann::json to_json(const Report& r) {
  nlohmann::json j = {{"seed", r.seed},
                      {"events", r.events},
                      {"messages", r.messages},
                      {"dropped", r.dropped},
                      {"duplicated", r.duplicated},
                      {"simulated_s", static_cast<double>(r.sim_ms) / 1000.0},
                      {"accepted", r.accepted},
                      {"committed", r.committed},
                      {"committed_wrong", r.committed_wrong},
                      {"failed", r.failed},
                      {"refused", r.refused},
                      {"scheduler_restarts", r.scheduler_restarts},
                      {"worker_restarts", r.worker_restarts},
                      {"ledger_entries", r.ledger_entries},
                      {"trace", gpoc::to_hex(r.trace)},
                      {"wall_s", r.wall_s},
                      {"violations", r.violations},
                      {"failure_reasons", r.failure_reasons}};
  for (const auto& [trust, t] : r.by_trust) {
    j["by_trust"][std::to_string(trust)] = {{"tasks", t.tasks},
                                            {"committed", t.committed},
                                            {"committed_wrong", t.committed_wrong},
                                            {"failed", t.failed},
                                            {"contributions", t.contributions},
                                            {"consensus_ms_sum", t.consensus_ms_sum}};
  }
  return j;
}

// Fresh agreeing score-0 votes (weight 2) needed for consensus at `trust`, with no dissent: the
// smallest m with 2^m > trust - 1.
int votes_needed(std::uint64_t trust) {
  int m = 1;
  while (std::ldexp(1.0, m) <= static_cast<double>(trust - 1)) ++m;
  return m;
}

// Sarmenta's m-first majority voting with colluding saboteurs: the result is wrong when m of the
// first 2m - 1 votes are bad, P = sum_{j=m}^{2m-1} C(2m-1, j) f^j (1-f)^(2m-1-j).
double sarmenta_error(double f, int m) {
  const int n = 2 * m - 1;
  double p = 0;
  for (int j = m; j <= n; ++j) {
    p += std::tgamma(n + 1) / (std::tgamma(j + 1) * std::tgamma(n - j + 1)) * std::pow(f, j) *
         std::pow(1 - f, n - j);
  }
  return p;
}

int sweep(std::uint64_t first_seed, int seeds, int workers, int tasks, bool json) {
  nlohmann::json rows = nlohmann::json::array();
  const std::vector<std::uint64_t> trusts = {2, 3, 10, 100, 1000};
  if (!json) {
    std::cout << "| f | collusion | trust | m | tasks | committed wrong | sim. wrong rate | "
                 "Sarmenta m-first (collusion) | 1/trust | replicas/task | consensus s | failed |\n"
              << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  }
  bool violated = false;
  for (double f : {0.1, 0.2, 0.3, 0.4, 0.5}) {
    for (int variant = 0; variant < 3; ++variant) {
      const bool collusion = variant > 0, one_operator = variant == 2;
      std::map<std::uint64_t, gpoc::sim::TrustStats> total;
      for (int k = 0; k < seeds; ++k) {
        Config c;
        c.seed = first_seed + static_cast<std::uint64_t>(k);
        c.workers = workers;
        c.tasks = tasks;
        c.byzantine = f;
        c.strategies = {collusion ? Strategy::collude : Strategy::wrong};
        c.colluders_one_operator = one_operator;
        c.trusts = trusts;
        c.dir = gpoc::sim::scratch_dir("sweep");
        Report r = gpoc::sim::run(c);
        if (!r.violations.empty()) {
          violated = true;
          std::cerr << "violation at f=" << f << " seed " << c.seed << ": " << r.violations[0]
                    << "\n";
        }
        for (const auto& [t, s] : r.by_trust) {
          auto& a = total[t];
          a.tasks += s.tasks;
          a.committed += s.committed;
          a.committed_wrong += s.committed_wrong;
          a.failed += s.failed;
          a.contributions += s.contributions;
          a.consensus_ms_sum += s.consensus_ms_sum;
        }
      }
      for (const auto& [t, a] : total) {
        const int m = votes_needed(t);
        const double n = static_cast<double>(a.tasks);
        const double rate = a.tasks ? static_cast<double>(a.committed_wrong) / n : 0;
        const double analytic = sarmenta_error(f, m);
        const double replicas = a.tasks ? static_cast<double>(a.contributions) / n : 0;
        const double consensus_s = a.committed ? static_cast<double>(a.consensus_ms_sum) /
                                                     static_cast<double>(a.committed) / 1000.0
                                               : 0;
        nlohmann::json row = {{"f", f},
                              {"collusion", collusion},
                              {"one_operator", one_operator},
                              {"trust", t},
                              {"m", m},
                              {"tasks", a.tasks},
                              {"committed_wrong", a.committed_wrong},
                              {"wrong_rate", rate},
                              {"sarmenta_m_first", analytic},
                              {"requested_bound", 1.0 / static_cast<double>(t)},
                              {"replicas_per_task", replicas},
                              {"consensus_s", consensus_s},
                              {"failed", a.failed}};
        rows.push_back(row);
        if (!json) {
          char line[512];
          std::snprintf(
              line, sizeof line,
              "| %.1f | %s | %llu | %d | %llu | %llu | %.4f | %.4f | %.4f | %.2f | %.1f | "
              "%llu |\n",
              f,
              one_operator ? "one operator"
              : collusion  ? "yes"
                           : "no",
              static_cast<unsigned long long>(t), m, static_cast<unsigned long long>(a.tasks),
              static_cast<unsigned long long>(a.committed_wrong), rate, analytic,
              1.0 / static_cast<double>(t), replicas, consensus_s,
              static_cast<unsigned long long>(a.failed));
          std::cout << line << std::flush;
        }
      }
    }
  }
  if (json) std::cout << rows.dump(2) << "\n";
  return violated ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Deterministic simulation of a gpoc pool: the production scheduler, verifier and ledger "
      "with hundreds of simulated workers (honest and byzantine) on a simulated clock and "
      "network with loss, delay, duplication and crashes. Every invariant is checked after "
      "every step; a violation prints its seed, and the same seed replays it exactly.",
      "gpoc-sim"};
  std::string scenario = "mixed";
  std::uint64_t seed = 0, first_seed = 1;
  int seeds = 0;
  double hours = 0;
  bool json = false, do_sweep = false;
  int workers = 0, tasks = 0, sweep_seeds = 20;
  std::string trace;
  app.add_option("--scenario", scenario, "honest, wrong, collude, mixed, chaos or certified")
      ->capture_default_str();
  app.add_option("--seed", seed, "run this one seed (replays a reported failure)");
  app.add_option("--seeds", seeds, "soak: run this many seeds, from --first-seed");
  app.add_option("--first-seed", first_seed, "first seed of a soak or sweep")
      ->capture_default_str();
  app.add_option("--hours", hours, "soak: keep going until this many simulated hours have run");
  app.add_option("--workers", workers, "override the scenario's number of workers");
  app.add_option("--tasks", tasks, "override the scenario's number of tasks");
  app.add_option("--trace", trace, "with --seed: write one line per event to this file");
  app.add_flag(
      "--sweep", do_sweep,
      "committed-wrong rate, replicas per task and time to consensus for byzantine "
      "fractions 0.1-0.5, without collusion, with collusion, and with the colluders under one "
      "declared operator key, at trust 2-1000 (a markdown table)");
  app.add_option("--sweep-seeds", sweep_seeds, "seeds per sweep cell")->capture_default_str();
  app.add_flag("--json", json, "print JSON instead of text");
  CLI11_PARSE(app, argc, argv);

  if (do_sweep)
    return sweep(first_seed, sweep_seeds, workers ? workers : 100, tasks ? tasks : 50, json);

  Config base;
  if (!gpoc::sim::scenario(scenario, 1, &base)) {
    std::cerr << "gpoc-sim: unknown scenario '" << scenario << "'; known:";
    for (const auto& n : gpoc::sim::scenario_names()) std::cerr << " " << n;
    std::cerr << "\n";
    return 2;
  }
  if (seed == 0 && seeds == 0 && hours <= 0) seeds = 1;
  std::uint64_t next = seed != 0 ? seed : first_seed;
  int run_count = 0, failures = 0;
  double sim_hours = 0, wall_s = 0;
  nlohmann::json runs = nlohmann::json::array();
  for (;;) {
    if (seed != 0 && run_count == 1) break;
    if (seed == 0 && seeds > 0 && run_count >= seeds && sim_hours >= hours) break;
    if (seed == 0 && seeds == 0 && sim_hours >= hours) break;
    Config c;
    gpoc::sim::scenario(scenario, next, &c);
    if (workers > 0) c.workers = workers;
    if (tasks > 0) c.tasks = tasks;
    c.dir = gpoc::sim::scratch_dir(scenario + "-" + std::to_string(next));
    if (seed != 0 && !trace.empty()) c.trace_file = trace;
    Report r = gpoc::sim::run(c);
    ++run_count;
    sim_hours += static_cast<double>(r.sim_ms) / 3.6e6;
    wall_s += r.wall_s;
    if (json) {
      runs.push_back(to_json(r));
    } else {
      std::printf(
          "seed %llu: %s  accepted %llu committed %llu (wrong %llu) failed %llu  "
          "scheduler restarts %llu  worker restarts %llu  %.0f simulated s in %.2f s\n",
          static_cast<unsigned long long>(r.seed), r.violations.empty() ? "ok" : "VIOLATION",
          static_cast<unsigned long long>(r.accepted), static_cast<unsigned long long>(r.committed),
          static_cast<unsigned long long>(r.committed_wrong),
          static_cast<unsigned long long>(r.failed),
          static_cast<unsigned long long>(r.scheduler_restarts),
          static_cast<unsigned long long>(r.worker_restarts),
          static_cast<double>(r.sim_ms) / 1000.0, r.wall_s);
      for (const auto& [why, count] : r.failure_reasons)
        std::printf("    failed x%llu: %s\n", static_cast<unsigned long long>(count), why.c_str());
      std::fflush(stdout);
    }
    if (!r.violations.empty()) {
      ++failures;
      std::cerr << "gpoc-sim: invariant violated with seed " << r.seed
                << "; replay with: gpoc-sim --scenario " << scenario << " --seed " << r.seed
                << "\n";
      for (const auto& v : r.violations) std::cerr << "  " << v << "\n";
    }
    ++next;
  }
  if (json) {
    std::cout << nlohmann::json{{"scenario", scenario},
                                {"seeds_run", run_count},
                                {"first_seed", seed != 0 ? seed : first_seed},
                                {"simulated_hours", sim_hours},
                                {"wall_s", wall_s},
                                {"failures", failures},
                                {"runs", runs}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("%d seeds, %.2f simulated hours in %.1f s, %d with violations\n", run_count,
                sim_hours, wall_s, failures);
  }
  return failures == 0 ? 0 : 1;
}
