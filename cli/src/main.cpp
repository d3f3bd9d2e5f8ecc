// gpoc: the GPU off-chain computation and verification engine's one executable.
#include <CLI/CLI.hpp>

#include "common.hpp"
#include "gpoc/common/crypto.hpp"

int main(int argc, char** argv) {
  gpoc::crypto_init();
  CLI::App app{
      "gpoc runs data-processing tasks on GPU workers, verifies them by replicated, signed\n"
      "commit-reveal consensus (Proof-of-Contribution), and commits results to an auditable "
      "ledger.\n\n"
      "Start with `gpoc demo` to see a whole pool work on one machine."};
  app.set_version_flag("--version", "gpoc 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  gpoc::cli::add_scheduler_command(app);
  gpoc::cli::add_worker_command(app);
  gpoc::cli::add_requester_commands(app);
  gpoc::cli::add_account_command(app);
  gpoc::cli::add_sla_command(app);
  gpoc::cli::add_operator_command(app);
  gpoc::cli::add_ledger_command(app);
  gpoc::cli::add_kernels_command(app);
  gpoc::cli::add_check_command(app);
  gpoc::cli::add_demo_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;  // each subcommand's callback exits with its own code
}
