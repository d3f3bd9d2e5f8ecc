// A pool of real gpoc processes for integration tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gpoc/client/client.hpp"
#include "gpoc/common/process.hpp"

namespace gpoc::testing {

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the scheduler; empty endpoints pick ephemeral ports. Waits until it listens.
  void start_scheduler(const std::string& client_ep = "", const std::string& worker_ep = "",
                       const std::string& categories_ms = "3000");
  // Starts a worker with key file worker-<n>.key and extra flags.
  Process& start_worker(int n, const std::vector<std::string>& extra = {});
  PublicKey worker_key(int n) const;
  client::Client& requester();
  client::PreparedTask prepare(const client::SubmitOptions& o, const Bytes& input);
  wire::TaskStatus submit_and_wait(const client::SubmitOptions& o, const Bytes& input,
                                   int timeout_ms = 20'000);
  int ledger_verify();  // exit code of `gpoc ledger verify`
  std::string log_of(const std::string& name) const;

  std::filesystem::path dir_;
  std::string client_ep_, worker_ep_;
  std::vector<std::string> scheduler_extra_;  // more flags for start_scheduler
  std::unique_ptr<Process> scheduler_;
  std::vector<std::unique_ptr<Process>> workers_;
  SecretKey requester_key_ = SecretKey::generate();
  std::unique_ptr<client::Client> client_;
};

Bytes random_bytes(std::size_t n, std::uint64_t seed);

// Runs gpoc with arguments (in `dir`, with extra environment); returns (exit code, its output).
std::pair<int, std::string> run_gpoc(const std::filesystem::path& dir,
                                     std::vector<std::string> args,
                                     std::map<std::string, std::string> env = {});

}  // namespace gpoc::testing
