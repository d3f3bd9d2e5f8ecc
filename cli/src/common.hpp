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

}  // namespace gpoc::cli
