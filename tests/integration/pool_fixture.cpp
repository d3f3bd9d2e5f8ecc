#include "pool_fixture.hpp"

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "gpoc/common/hex.hpp"

namespace gpoc::testing {

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

void PoolTest::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gpoc-it-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
}

void PoolTest::TearDown() {
  client_.reset();
  for (auto& w : workers_) w->stop(2000);
  if (scheduler_) scheduler_->stop(3000);
  if (HasFailure()) {
    std::cerr << "--- scheduler log ---\n" << log_of("scheduler") << "\n";
    std::cerr << "(logs kept in " << dir_.string() << ")\n";
  } else {
    std::filesystem::remove_all(dir_);
  }
}

std::string PoolTest::log_of(const std::string& name) const {
  std::ifstream in(dir_ / (name + ".log"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void PoolTest::start_scheduler(const std::string& client_ep, const std::string& worker_ep,
                               const std::string& categories_ms) {
  std::filesystem::remove(dir_ / "ready.json");
  std::vector<std::string> argv = {
      GPOC_BINARY,           "scheduler",
      "--data-dir",          (dir_ / "pool").string(),
      "--client-endpoint",   client_ep.empty() ? "tcp://127.0.0.1:*" : client_ep,
      "--worker-endpoint",   worker_ep.empty() ? "tcp://127.0.0.1:*" : worker_ep,
      "--ready-file",        (dir_ / "ready.json").string(),
      "--category-times-ms", categories_ms,
      "--heartbeat-ms",      "100",
      "--liveness",          "3",
      "--log-level",         "debug"};
  argv.insert(argv.end(), scheduler_extra_.begin(), scheduler_extra_.end());
  auto p = Process::spawn(argv, dir_ / "scheduler.log");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  scheduler_ = std::make_unique<Process>(std::move(*p));
  for (int i = 0; i < 1000 && !std::filesystem::exists(dir_ / "ready.json"); ++i) {
    ASSERT_TRUE(scheduler_->running()) << log_of("scheduler");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream in(dir_ / "ready.json");
  auto j = nlohmann::json::parse(in);
  client_ep_ = j["client_endpoint"];
  worker_ep_ = j["worker_endpoint"];
  client_.reset();
}

Process& PoolTest::start_worker(int n, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      GPOC_BINARY, "worker",      "--scheduler",
      worker_ep_,  "--key",       (dir_ / ("worker-" + std::to_string(n) + ".key")).string(),
      "--cpu",     "--log-level", "debug"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = Process::spawn(argv, dir_ / ("worker-" + std::to_string(n) + ".log"));
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  workers_.push_back(std::make_unique<Process>(std::move(*p)));
  auto key = dir_ / ("worker-" + std::to_string(n) + ".key");
  for (int i = 0; i < 500 && !std::filesystem::exists(key); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return *workers_.back();
}

PublicKey PoolTest::worker_key(int n) const {
  std::ifstream in(dir_ / ("worker-" + std::to_string(n) + ".key"));
  std::string tag, seed, pub;
  in >> tag >> seed >> pub;
  return from_hex_array<32>(pub).value_or(PublicKey{});
}

client::Client& PoolTest::requester() {
  if (!client_) {
    client_ = std::make_unique<client::Client>(client_ep_, requester_key_);
    EXPECT_TRUE(client_->connect().ok());
  }
  return *client_;
}

client::PreparedTask PoolTest::prepare(const client::SubmitOptions& o, const Bytes& input) {
  auto t = client::prepare_task(o, input, requester_key_);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return std::move(*t);
}

wire::TaskStatus PoolTest::submit_and_wait(const client::SubmitOptions& o, const Bytes& input,
                                           int timeout_ms) {
  auto t = prepare(o, input);
  auto sub = requester().submit(t);
  EXPECT_TRUE(sub.ok()) << sub.status().to_string();
  auto st = requester().wait(t.task_id, timeout_ms);
  EXPECT_TRUE(st.ok()) << st.status().to_string();
  return st.ok() ? *st : wire::TaskStatus{};
}

std::pair<int, std::string> run_gpoc(const std::filesystem::path& dir,
                                     std::vector<std::string> args,
                                     std::map<std::string, std::string> env) {
  args.insert(args.begin(), GPOC_BINARY);
  std::filesystem::path log = dir / "cli-out.log";
  std::filesystem::remove(log);
  for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  auto p = Process::spawn(args, log);
  for (auto& [k, v] : env) ::unsetenv(k.c_str());
  EXPECT_TRUE(p.ok());
  int rc = p->wait(60'000).value_or(-1);
  std::ifstream in(log);
  std::stringstream s;
  s << in.rdbuf();
  return {rc, s.str()};
}

int PoolTest::ledger_verify() {
  auto p = Process::spawn({GPOC_BINARY, "ledger", "verify", "--data-dir", (dir_ / "pool").string()},
                          dir_ / "verify.log");
  EXPECT_TRUE(p.ok());
  return p->wait(60'000).value_or(-1);
}

}  // namespace gpoc::testing
