// The ledger's group commit as the scheduler makes it at 1,000 tasks/s: each batch accepts one
// task and finishes the one before (two entries, the task rows, the output, three scores and the
// balances moved), on a real file, made durable (Ledger::commit: the write, then the WAL's
// fsync). Its limit, measured in the same run, is one fdatasync of one appended page on the same
// filesystem: the floor of any durable commit.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpoc/common/clock.hpp"
#include "gpoc/ledger/ledger.hpp"

namespace {

using namespace gpoc;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gpoc-bench-ledger-XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Workload {
  std::mt19937_64 rng{7};
  PublicKey workers[3]{};
  PublicKey requester{};
  PublicKey pool{};

  Workload() {
    for (auto& w : workers) w = random_key();
    requester = random_key();
    pool = random_key();
  }
  Bytes random_bytes(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; i += 8) {
      const std::uint64_t r = rng();
      std::memcpy(b.data() + i, &r, std::min<std::size_t>(8, n - i));
    }
    return b;
  }
  PublicKey random_key() {
    PublicKey k{};
    for (auto& x : k) x = static_cast<std::uint8_t>(rng());
    return k;
  }
  TaskId task_id(std::uint64_t n) {
    std::mt19937_64 r(n * 0x9e3779b97f4a7c15ULL);
    TaskId id{};
    for (auto& x : id) x = static_cast<std::uint8_t>(r());
    return id;
  }

  // Sizes as in the end-to-end benchmark: a 256-byte input, a 128-byte output, an accept record
  // of about 300 bytes and a final record with three signed contributions of about 1.3 KB.
  void accept(ledger::Batch& b, std::uint64_t n, std::uint64_t seq) {
    b.append("task.accept", random_bytes(300), 0);
    b.set_balance(requester, Balance{1'000'000 - n, n});
    b.set_balance(pool, Balance{n, 0});
    ledger::StoredTask t;
    t.task_id = task_id(n);
    t.spec = random_bytes(220);
    t.input = random_bytes(256);
    t.state = 2;
    t.ledger_seq = seq;
    b.put_task(std::move(t));
  }
  void finish(ledger::Batch& b, std::uint64_t n, std::uint64_t seq) {
    b.append("task.commit", random_bytes(1300), 0);
    ledger::StoredTask t;
    t.task_id = task_id(n);
    t.spec = random_bytes(220);
    t.state = 6;
    t.output_bytes = 128;
    t.ledger_seq = seq;
    t.status_blob = random_bytes(400);
    b.put_task(std::move(t));
    b.put_output(task_id(n), random_bytes(128));
    for (const auto& w : workers) {
      b.set_score(w, n);
      b.set_balance(w, Balance{n, 0});
    }
    b.set_balance(requester, Balance{1'000'000 - n, n - 1});
  }
};

// Arg: tasks already in the ledger, so the tables have their working depth.
void BM_LedgerCommit(benchmark::State& state) {
  TempDir dir;
  auto ledger = ledger::Ledger::open(dir.path());
  if (!ledger.ok()) return state.SkipWithError(ledger.status().to_string().c_str());
  ledger::Ledger& l = **ledger;
  Workload w;
  const auto prefill = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t n = 0;
  // Builds the next batch (not timed), then commits it; returns the commit's microseconds.
  auto one = [&] {
    ledger::Batch b;
    ++n;
    w.accept(b, n, l.size() + 1);
    if (n > 1) w.finish(b, n - 1, l.size() + 2);
    const std::int64_t t0 = monotonic_us();
    auto r = l.commit(std::move(b));
    const std::int64_t t1 = monotonic_us();
    if (!r.ok()) throw std::runtime_error(r.status().to_string());
    return static_cast<double>(t1 - t0);
  };
  while (n < prefill) {  // in batches of 100, as fast as possible
    ledger::Batch b;
    for (int i = 0; i < 100 && n < prefill; ++i) {
      ++n;
      w.accept(b, n, l.size() + b.appended() + 1);
      if (n > 1) w.finish(b, n - 1, l.size() + b.appended() + 1);
    }
    if (auto r = l.commit(std::move(b)); !r.ok()) {
      return state.SkipWithError(r.status().to_string().c_str());
    }
  }
  for (int i = 0; i < 200; ++i) one();  // warm-up: the page cache and the WAL in steady state
  std::vector<double> us;
  us.reserve(100'000);
  for (auto _ : state) {
    us.push_back(one());
    state.SetIterationTime(us.back() / 1e6);
  }
  state.SetItemsProcessed(state.iterations());
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];

  // The floor: one page appended and made durable with fdatasync, on the same filesystem.
  const std::string probe = (dir.path() / "fdatasync.probe").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return state.SkipWithError("cannot open the fdatasync probe");
  std::string page(4096, 'x');
  std::int64_t total_us = 0;
  constexpr int kProbes = 200;
  for (int i = 0; i < kProbes; ++i) {
    const std::int64_t t0 = monotonic_us();
    if (::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size()) ||
        ::fdatasync(fd) != 0) {
      ::close(fd);
      return state.SkipWithError("fdatasync probe failed");
    }
    total_us += monotonic_us() - t0;
  }
  ::close(fd);
  state.counters["fdatasync_us"] = static_cast<double>(total_us) / kProbes;
}
BENCHMARK(BM_LedgerCommit)->Arg(20'000)->Unit(benchmark::kMicrosecond)->UseManualTime();

}  // namespace
