// Shared pieces of the gpoc subcommands.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gpoc/common/statements.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/proto/gpoc.pb.h"
#include "gpoc/sla/book.hpp"

namespace gpoc::client {
class Client;
}

namespace gpoc::cli {

// Set by SIGINT/SIGTERM; long-running commands stop cleanly when it turns true.
std::atomic<bool>& stop_flag();
void install_signal_handlers();
void set_log_level(const std::string& level);
const std::vector<std::string>& log_levels();  // the names --log-level accepts
int fail(const Status& s);                     // prints "gpoc: error: ..." and returns exit code 1
std::optional<TaskId> parse_task_id(const std::string& hex);
std::string short_hex(ByteView b, std::size_t chars = 12);
// The public key of a key file, read without creating anything.
Result<PublicKey> key_file_public(const std::filesystem::path& p);
std::string format_status(const wire::TaskStatus& st);  // human-readable, several lines
std::string status_json(const wire::TaskStatus& st);    // one JSON object

void add_scheduler_command(CLI::App& app);
void add_worker_command(CLI::App& app);
void add_requester_commands(CLI::App& app);
void add_ledger_command(CLI::App& app);
void add_kernels_command(CLI::App& app);
void add_check_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_account_command(CLI::App& app);
void add_operator_command(CLI::App& app);
void add_sla_command(CLI::App& app);

// SLAs, shared by `gpoc sla` and `gpoc demo`.
struct SlaCreateOptions {
  std::string provider = "pool";
  std::string name;
  std::string sli = "availability";
  std::string kernel;
  std::string op = ">=";
  std::string target = "99.9";
  std::string period = "daily";
  std::int64_t period_seconds = 0;
  std::uint32_t periods = 30;
  std::int64_t start_ms = -1;
  std::int64_t slice_seconds = 60;
  std::uint32_t min_workers = 1;
  std::uint32_t leverage = 1;
  std::string mode = "deviation";
  std::vector<std::string> tiers;
  std::vector<std::string> severity;
  std::uint32_t premium_bp = 0;
  std::vector<std::string> maintenance;
};
void add_sla_create_options(CLI::App* cmd, SlaCreateOptions& o);
Result<sla::SlaSpec> build_sla_spec(const SlaCreateOptions& o, const PublicKey& pool,
                                    std::int64_t now_ms);
Result<wire::SlaInfo> create_sla(client::Client& c, const SecretKey& pool_key,
                                 const sla::SlaSpec& spec);
Result<wire::SlaInfo> stake_sla(client::Client& c, const SecretKey& key, const PublicKey& pool,
                                const sla::SlaId& id, sla::PoolSide side, Amount amount,
                                bool withdraw);
int print_sla_report(const wire::SlaInfo& info, bool json);  // the `gpoc sla report` text

}  // namespace gpoc::cli
