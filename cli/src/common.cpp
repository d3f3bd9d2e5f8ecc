#include "common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gpoc/common/hex.hpp"

namespace gpoc::cli {

std::atomic<bool>& stop_flag() {
  static std::atomic<bool> stop{false};
  return stop;
}

extern "C" void gpoc_on_signal(int) { stop_flag().store(true); }

void install_signal_handlers() {
  std::signal(SIGINT, gpoc_on_signal);
  std::signal(SIGTERM, gpoc_on_signal);
  std::signal(SIGPIPE, SIG_IGN);
}

// Logs go to stderr, so stdout stays for results a script may read.
void set_log_level(const std::string& level) {
  static const bool once = [] {
    spdlog::set_default_logger(spdlog::stderr_color_mt("gpoc"));
    return true;
  }();
  (void)once;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

const std::vector<std::string>& log_levels() {
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  return levels;
}

int fail(const Status& s) {
  std::fprintf(stderr, "gpoc: error: %s\n", s.to_string().c_str());
  return 1;
}

std::optional<TaskId> parse_task_id(const std::string& hex) { return from_hex_array<32>(hex); }

std::string short_hex(ByteView b, std::size_t chars) { return to_hex(b).substr(0, chars); }

Result<PublicKey> key_file_public(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string tag, seed, pub;
  if (!(in >> tag >> seed >> pub)) return not_found("cannot read a key from " + p.string());
  auto k = from_hex_array<32>(pub);
  if (!k) return invalid_argument(p.string() + " is not a gpoc key file");
  return *k;
}

static std::string when(std::int64_t from_ms, std::int64_t to_ms) {
  if (from_ms == 0 || to_ms == 0) return "-";
  std::ostringstream o;
  o << (to_ms - from_ms) << " ms";
  return o.str();
}

std::string format_status(const wire::TaskStatus& st) {
  std::ostringstream o;
  o << "task      " << to_hex(as_bytes(st.task_id())) << "\n";
  o << "state     " << wire::TaskState_Name(st.state()).substr(5);
  if (!st.reason().empty()) o << " (" << st.reason() << ")";
  o << "\n";
  if (!st.kernel().empty()) o << "kernel    " << st.kernel() << "\n";
  if (st.credibility_den() != 0) {
    // Display only: consensus itself is decided in integers (W * trust > total * (trust - 1)).
    double cred = 100.0 * static_cast<double>(st.credibility_num()) /
                  static_cast<double>(st.credibility_den());
    double needed = st.trust() == 0 ? 0.0 : 100.0 - 100.0 / static_cast<double>(st.trust());
    o << "votes     credibility " << st.credibility_num() << "/" << st.credibility_den() << " = "
      << std::fixed << std::setprecision(1) << cred << "%, trust " << st.trust()
      << " needs more than " << needed << "%\n";
    o.unsetf(std::ios::floatfield);
  }
  if (st.has_certificate()) {
    const auto& c = st.certificate();
    o << "certified " << c.method() << ", " << c.rounds()
      << (c.rounds() == 1 ? " round" : " rounds")
      << ", a wrong result passes with probability <= 2^-" << c.bound_bits() << " ("
      << (c.decisive() ? "met trust " + std::to_string(st.trust()) + " on its own"
                       : "confirmed the votes")
      << ")\n";
  } else if (st.certifiable() && st.state() != wire::TASK_COMPLETED &&
             st.state() != wire::TASK_FAILED) {
    o << "certify   the scheduler will check the result with the kernel's certificate\n";
  }
  if (!st.digest().empty())
    o << "digest    " << to_hex(as_bytes(st.digest())) << " (" << st.output_bytes() << " bytes)\n";
  o << "timings   consensus after " << when(st.submitted_ms(), st.consensus_ms())
    << ", finished after " << when(st.submitted_ms(), st.finished_ms()) << "\n";
  if (st.ledger_seq() != 0) o << "ledger    entry " << st.ledger_seq() << "\n";
  for (const auto& r : st.replicas()) {
    o << "  replica " << short_hex(as_bytes(r.worker_key()), 16) << "  " << std::left
      << std::setw(20) << wire::ReplicaState_Name(r.state()).substr(8);
    if (!r.result_hash().empty()) {
      o << " vote " << short_hex(as_bytes(r.result_hash())) << " weight " << r.weight()
        << (r.winner() ? " (winner)" : " (outvoted)");
    }
    if (!r.note().empty()) o << "  " << r.note();
    o << "\n";
  }
  return o.str();
}

std::string status_json(const wire::TaskStatus& st) {
  nlohmann::json j;
  j["task_id"] = to_hex(as_bytes(st.task_id()));
  j["state"] = wire::TaskState_Name(st.state()).substr(5);
  j["kernel"] = st.kernel();
  j["trust"] = st.trust();
  j["reason"] = st.reason();
  j["consensus_hash"] = to_hex(as_bytes(st.consensus_hash()));
  j["digest"] = to_hex(as_bytes(st.digest()));
  j["output_bytes"] = st.output_bytes();
  j["submitted_ms"] = st.submitted_ms();
  j["consensus_ms"] = st.consensus_ms();
  j["finished_ms"] = st.finished_ms();
  j["final_deadline_ms"] = st.final_deadline_ms();
  j["ledger_seq"] = st.ledger_seq();
  j["credibility"] = {st.credibility_num(), st.credibility_den()};
  j["certifiable"] = st.certifiable();
  if (st.has_certificate()) {
    const auto& c = st.certificate();
    j["certificate"] = {{"method", c.method()},
                        {"rounds", c.rounds()},
                        {"bound_bits", c.bound_bits()},
                        {"seed", to_hex(as_bytes(c.seed()))},
                        {"decisive", c.decisive()}};
  } else {
    j["certificate"] = nullptr;
  }
  j["replicas"] = nlohmann::json::array();
  for (const auto& r : st.replicas()) {
    j["replicas"].push_back({{"worker", to_hex(as_bytes(r.worker_key()))},
                             {"state", wire::ReplicaState_Name(r.state()).substr(8)},
                             {"result_hash", to_hex(as_bytes(r.result_hash()))},
                             {"weight", r.weight()},
                             {"winner", r.winner()},
                             {"note", r.note()}});
  }
  return j.dump();
}

}  // namespace gpoc::cli
