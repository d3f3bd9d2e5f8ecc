// End-to-end load generator: a real scheduler and workers on loopback, tiny sha256 tasks that
// need three agreeing replicas, committed tasks per second and submit->commit latency, reported
// against this machine's Ed25519 verification rate measured in the same run. Writes JSON.
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "gpoc/client/client.hpp"
#include "gpoc/common/clock.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/process.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/transport/envelope.hpp"

namespace {

using namespace gpoc;

struct Options {
  int workers = 3;
  int tasks = 6000;
  int inflight = 64;
  int latency_tasks = 3000;
  double latency_rate = 1000;  // tasks/s offered in the latency phase
  std::uint64_t trust = 5;
  std::uint32_t replicas = 3;
  int record_bytes = 64;
  int records = 4;
  std::string out = "bench-e2e.json";
  std::string data_dir;
  std::string commit;
  int commit_delay_ms = 0;
};

// Ed25519 sign and verify rates of this machine, one core, contribution-sized statements.
nlohmann::json signature_rates() {
  SecretKey k = SecretKey::generate();
  ContributionStatement c;
  c.exec_class = "cpu-x86_64";
  Bytes msg = encode_contribution(c);
  const int n = 4000;
  std::vector<Signature> sigs(n);
  auto t0 = monotonic_us();
  for (int i = 0; i < n; ++i) {
    msg[30] = static_cast<std::uint8_t>(i);
    sigs[i] = k.sign(msg);
  }
  auto t1 = monotonic_us();
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    msg[30] = static_cast<std::uint8_t>(i);
    ok += verify_signature(k.public_key(), msg, sigs[i]) ? 1 : 0;
  }
  auto t2 = monotonic_us();
  if (ok != n) throw std::runtime_error("signature self-check failed");
  return {{"sign_per_s", n * 1e6 / static_cast<double>(t1 - t0)},
          {"verify_per_s", n * 1e6 / static_cast<double>(t2 - t1)}};
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Phase {
  double seconds = 0;
  int committed = 0, failed = 0;
  std::vector<double> latency_ms;  // submit -> commit notification
  std::vector<double> ack_ms;      // submit -> `submitted` (the task is durable)
};

// Waits until `sock` may have a message to read or the monotonic clock reaches deadline_us,
// with microsecond precision (zmq_poll counts in milliseconds). ZMQ_FD only signals that the
// socket's events may have changed, so ZMQ_EVENTS is checked before each wait.
bool wait_readable(zmq::socket_t& sock, std::int64_t deadline_us) {
  for (;;) {
    if ((sock.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0) return true;
    const std::int64_t left = deadline_us - monotonic_us();
    if (left <= 0) return false;
    pollfd p{sock.get(zmq::sockopt::fd), POLLIN, 0};
    const timespec ts{static_cast<time_t>(left / 1'000'000),
                      static_cast<long>(left % 1'000'000) * 1000};
    if (::ppoll(&p, 1, &ts, nullptr) < 0 && errno != EINTR) {
      throw std::runtime_error("ppoll on the client socket failed");
    }
  }
}

// Sends prepared tasks with notify set and collects completions. Closed loop when rate <= 0
// (keep `inflight` outstanding), open loop at `rate` tasks/s otherwise.
Phase run_phase(client::Client& c, std::vector<client::PreparedTask>& tasks, int inflight,
                double rate) {
  Phase ph;
  std::map<std::uint64_t, std::int64_t> sent_us;  // submit message id -> send time
  std::size_t next = 0;
  int outstanding = 0;
  const std::int64_t start = monotonic_us();
  const std::int64_t timeout_us = 120'000'000;
  while (ph.committed + ph.failed < static_cast<int>(tasks.size())) {
    std::int64_t now = monotonic_us();
    if (now - start > timeout_us) throw std::runtime_error("phase timed out");
    while (
        next < tasks.size() && outstanding < inflight &&
        (rate <= 0 || static_cast<double>(now - start) >= static_cast<double>(next) * 1e6 / rate)) {
      wire::Envelope env = tasks[next].envelope;
      env.set_message_id(transport::next_message_id());
      sent_us[env.message_id()] = monotonic_us();
      if (Status s = c.socket().send(std::move(env)); !s.ok())
        throw std::runtime_error(s.to_string());
      ++next;
      ++outstanding;
    }
    // Sleep until a reply arrives or the next task is due: no polling loop competes with the
    // scheduler and workers for the CPU, and no reply waits for a poll interval to be seen.
    std::int64_t until = monotonic_us() + 5'000;
    if (rate > 0 && next < tasks.size() && outstanding < inflight) {
      until = start + static_cast<std::int64_t>(static_cast<double>(next) * 1e6 / rate);
    }
    if (!wait_readable(c.socket().raw(), until)) continue;
    auto in = c.socket().recv(0);
    if (!in.ok()) throw std::runtime_error(in.status().to_string());
    if (!*in) continue;
    const wire::Envelope& env = **in;
    if (env.has_error()) throw std::runtime_error("scheduler error: " + env.error().message());
    if (!env.has_task_status()) {  // the `submitted` acknowledgement
      auto a = sent_us.find(env.reply_to());
      if (a != sent_us.end())
        ph.ack_ms.push_back(static_cast<double>(monotonic_us() - a->second) / 1000.0);
      continue;
    }
    auto it = sent_us.find(env.reply_to());
    if (it == sent_us.end()) continue;
    ph.latency_ms.push_back(static_cast<double>(monotonic_us() - it->second) / 1000.0);
    sent_us.erase(it);
    --outstanding;
    (env.task_status().state() == wire::TASK_COMPLETED ? ph.committed : ph.failed)++;
  }
  ph.seconds = static_cast<double>(monotonic_us() - start) / 1e6;
  return ph;
}

std::vector<client::PreparedTask> prepare(const Options& o, const SecretKey& key, int n,
                                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  client::SubmitOptions s;
  s.kernel = "sha256";
  s.params = {{"record_bytes", std::to_string(o.record_bytes)}};
  s.trust = o.trust;
  s.min_replicas = o.replicas;
  s.notify = true;
  std::vector<client::PreparedTask> out;
  Bytes input(static_cast<std::size_t>(o.record_bytes * o.records));
  for (int i = 0; i < n; ++i) {
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    auto t = client::prepare_task(s, input, key);
    if (!t.ok()) throw std::runtime_error(t.status().to_string());
    out.push_back(std::move(*t));
  }
  return out;
}

// The durability floor: one commit costs at least one fdatasync of the ledger's WAL on this disk.
nlohmann::json fsync_latency(const std::filesystem::path& dir) {
  std::filesystem::path f = dir / "fsync-probe";
  int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + f.string());
  std::vector<double> ms;
  std::vector<char> page(4096, 'x');
  for (int i = 0; i < 200; ++i) {
    if (::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size()))
      throw std::runtime_error("write failed");
    std::int64_t t0 = monotonic_us();
    ::fdatasync(fd);
    ms.push_back(static_cast<double>(monotonic_us() - t0) / 1000.0);
  }
  ::close(fd);
  std::filesystem::remove(f);
  return {{"p50", percentile(ms, 50)}, {"p99", percentile(ms, 99)}};
}

// The transport floor: a ZeroMQ round trip over loopback TCP between two threads with contexts
// (and so I/O threads) of their own, paced like the latency phase so that threads go idle
// between messages as they do there. A committed task needs six one-way messages in sequence
// (submit, assignment, contribution, reveal request, reveal, notification) and one commit, so
// three round trips plus one fdatasync is the least submit->commit latency this machine allows.
nlohmann::json zmq_round_trip() {
  zmq::context_t echo_ctx(1);
  zmq::context_t ping_ctx(1);
  zmq::socket_t echo(echo_ctx, zmq::socket_type::dealer);
  echo.set(zmq::sockopt::linger, 0);
  echo.bind("tcp://127.0.0.1:*");
  const std::string ep = echo.get(zmq::sockopt::last_endpoint);
  std::thread t([&echo] {
    zmq::message_t m;
    for (;;) {
      if (!echo.recv(m)) continue;
      if (m.size() == 0) return;
      echo.send(m, zmq::send_flags::none);
    }
  });
  zmq::socket_t ping(ping_ctx, zmq::socket_type::dealer);
  ping.set(zmq::sockopt::linger, 0);
  ping.connect(ep);
  std::vector<double> us;
  zmq::message_t reply;
  for (int i = 0; i < 1100; ++i) {
    std::int64_t t0 = monotonic_us();
    ping.send(zmq::str_buffer("ping"), zmq::send_flags::none);
    if (!ping.recv(reply)) throw std::runtime_error("zmq round trip: no reply");
    if (i >= 100) us.push_back(static_cast<double>(monotonic_us() - t0));  // after a warm-up
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ping.send(zmq::const_buffer("", 0), zmq::send_flags::none);
  t.join();
  return {{"p50", percentile(us, 50)}, {"p99", percentile(us, 99)}};
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

nlohmann::json phase_json(const Phase& p) {
  return {
      {"seconds", p.seconds},
      {"committed", p.committed},
      {"failed", p.failed},
      {"committed_per_s", p.committed / p.seconds},
      {"latency_ms",
       {{"p50", percentile(p.latency_ms, 50)},
        {"p90", percentile(p.latency_ms, 90)},
        {"p99", percentile(p.latency_ms, 99)},
        {"max", percentile(p.latency_ms, 100)}}},
      {"ack_latency_ms", {{"p50", percentile(p.ack_ms, 50)}, {"p99", percentile(p.ack_ms, 99)}}}};
}

int run(const Options& o) {
  crypto_init();
  std::filesystem::path dir = o.data_dir;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gpoc-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);
  std::string gpoc = (self_executable().parent_path() / "gpoc").string();
  std::cerr << "measuring Ed25519 rates...\n";
  nlohmann::json sig = signature_rates();
  nlohmann::json fsync_ms = fsync_latency(dir);
  nlohmann::json rtt_us = zmq_round_trip();
  auto sched = Process::spawn(
      {gpoc, "scheduler", "--commit-delay-ms", std::to_string(o.commit_delay_ms), "--data-dir",
       (dir / "pool").string(), "--client-endpoint", "tcp://127.0.0.1:*", "--worker-endpoint",
       "tcp://127.0.0.1:*", "--ready-file", (dir / "ready.json").string(), "--log-level", "warn"},
      dir / "scheduler.log");
  if (!sched.ok()) throw std::runtime_error(sched.status().to_string());
  for (int i = 0; i < 1000 && !std::filesystem::exists(dir / "ready.json"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream rf(dir / "ready.json");
  auto ready = nlohmann::json::parse(rf);
  std::vector<Process> workers;
  for (int i = 0; i < o.workers; ++i) {
    auto w = Process::spawn({gpoc, "worker", "--scheduler", ready["worker_endpoint"], "--key",
                             (dir / ("w" + std::to_string(i) + ".key")).string(), "--slots", "64",
                             "--log-level", "warn"},
                            dir / ("worker-" + std::to_string(i) + ".log"));
    if (!w.ok()) throw std::runtime_error(w.status().to_string());
    workers.push_back(std::move(*w));
  }
  SecretKey key = SecretKey::generate();
  client::Client c(ready["client_endpoint"], key);
  if (Status s = c.connect(); !s.ok()) throw std::runtime_error(s.to_string());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // workers register
  std::cerr << "preparing " << o.tasks + o.latency_tasks + 200 << " signed tasks...\n";
  auto warm = prepare(o, key, 200, 1);
  auto bulk = prepare(o, key, o.tasks, 2);
  auto paced = prepare(o, key, o.latency_tasks, 3);
  run_phase(c, warm, o.inflight, 0);
  std::cerr << "throughput phase: " << bulk.size() << " tasks, " << o.inflight << " in flight\n";
  Phase tp = run_phase(c, bulk, o.inflight, 0);
  std::cerr << "latency phase: " << paced.size() << " tasks offered at " << o.latency_rate
            << "/s\n";
  Phase lat = run_phase(c, paced, 1 << 20, o.latency_rate);
  for (Process& w : workers) w.stop();
  sched->stop();
  double verify_rate = sig["verify_per_s"];
  // The scheduler checks one requester signature and one per contribution on one thread.
  double bound = verify_rate / (1.0 + o.replicas);
  utsname u{};
  ::uname(&u);
  nlohmann::json j = {
      {"benchmark", "e2e_load"},
      {"device", cpu_model() + " (" + std::to_string(std::thread::hardware_concurrency()) +
                     " cores), " + u.sysname + " " + u.release},
      {"date",
       [] {
         char b[32];
         std::time_t t = std::time(nullptr);
         std::strftime(b, sizeof b, "%Y-%m-%d", std::gmtime(&t));
         return std::string(b);
       }()},
      {"commit", o.commit},
      {"config",
       {{"workers", o.workers},
        {"trust", o.trust},
        {"replicas", o.replicas},
        {"input_bytes", o.record_bytes * o.records},
        {"inflight", o.inflight},
        {"backend", "cpu"},
        {"commit_delay_ms", o.commit_delay_ms},
        {"ledger", "SQLite WAL, every commit fsynced"}}},
      {"ed25519", sig},
      {"fdatasync_ms", fsync_ms},
      {"zmq_round_trip_us", rtt_us},
      {"latency_floor_ms",
       3 * static_cast<double>(rtt_us["p50"]) / 1000.0 + static_cast<double>(fsync_ms["p50"])},
      {"throughput", phase_json(tp)},
      {"latency_at_rate", phase_json(lat)},
      {"offered_rate_per_s", o.latency_rate},
      {"signature_bound_tasks_per_s", bound},
      {"fraction_of_signature_bound", (tp.committed / tp.seconds) / bound},
  };
  std::ofstream(o.out) << j.dump(2) << "\n";
  std::cout << j.dump(2) << "\n";
  std::filesystem::remove_all(dir);
  return tp.failed + lat.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "gpoc end-to-end load generator: committed tasks/s and submit->commit latency on loopback"};
  app.add_option("--workers", o.workers, "Worker processes")->capture_default_str();
  app.add_option("--tasks", o.tasks, "Tasks in the throughput phase")->capture_default_str();
  app.add_option("--inflight", o.inflight, "Outstanding tasks in the throughput phase")
      ->capture_default_str();
  app.add_option("--latency-tasks", o.latency_tasks, "Tasks in the paced latency phase")
      ->capture_default_str();
  app.add_option("--rate", o.latency_rate, "Offered tasks/s in the latency phase")
      ->capture_default_str();
  app.add_option("--trust", o.trust, "Trust of each task")->capture_default_str();
  app.add_option("--replicas", o.replicas, "Agreeing replicas required (quorum)")
      ->capture_default_str();
  app.add_option("--out", o.out, "JSON report path")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "Pool directory (default: temporary)");
  app.add_option("--commit", o.commit, "Commit id to record in the report");
  app.add_option("--commit-delay-ms", o.commit_delay_ms, "The scheduler's --commit-delay-ms")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "bench: error: " << e.what() << "\n";
    return 1;
  }
}
