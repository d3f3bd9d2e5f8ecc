// Shared helpers for the ledger tests: a fresh temp dir per test, a raw sqlite3 connection for
// tampering behind the ledger's back, and seeded random content.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "gpoc/ledger/ledger.hpp"

namespace gpoc::ledger::test {

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gpoc-ledger-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "data";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::unique_ptr<Ledger> open_ok(bool read_only = false) {
    auto l = Ledger::open(dir_, read_only);
    EXPECT_TRUE(l.ok()) << l.status().to_string();
    return l.ok() ? std::move(l).value() : nullptr;
  }
  std::filesystem::path db_path() const { return dir_ / kDatabaseFileName; }

  std::filesystem::path root_;
  std::filesystem::path dir_;
};

// A separate connection to the same file, as an attacker or a stray sqlite3 shell would have.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  int exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    last_error_ = err ? err : "";
    sqlite3_free(err);
    return rc;
  }
  // Runs one statement with ?1 bound to a blob.
  int exec_blob(const std::string& sql, ByteView blob) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_blob(s, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  // The schema forbids rewriting entries; a tamperer drops that guard first.
  void drop_guards() {
    ASSERT_EQ(exec("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;"), SQLITE_OK)
        << last_error_;
  }
  const std::string& last_error() const { return last_error_; }

 private:
  sqlite3* db_ = nullptr;
  std::string last_error_;
};

inline Bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

template <std::size_t N>
std::array<std::uint8_t, N> random_array(std::mt19937_64& rng) {
  std::array<std::uint8_t, N> a{};
  for (auto& x : a) x = static_cast<std::uint8_t>(rng());
  return a;
}

inline StoredTask random_task(std::mt19937_64& rng, int state) {
  StoredTask t;
  t.task_id = random_array<32>(rng);
  t.spec = random_bytes(rng, 100 + rng() % 200);
  t.signature = random_array<64>(rng);
  t.input = random_bytes(rng, rng() % 5000);
  t.state = state;
  t.reason = state == 7 ? "deadline passed without consensus" : "";
  t.submitted_ms = static_cast<std::int64_t>(rng() % 1000000);
  t.finished_ms = t.submitted_ms + 5;
  t.digest = random_array<32>(rng);
  t.output_bytes = rng() % 100000;
  t.status_blob = random_bytes(rng, rng() % 64);
  return t;
}

// Commits `n` entries with seeded random bodies; returns what was appended, seqs filled in.
inline std::vector<Entry> append_random(Ledger& l, std::mt19937_64& rng, std::size_t n) {
  Batch b;
  std::vector<Entry> out;
  for (std::size_t i = 0; i < n; ++i) {
    Entry e;
    e.kind = (i % 3 == 0) ? "task.commit" : (i % 3 == 1) ? "task.fail" : "tree_head";
    e.body = random_bytes(rng, 1 + rng() % 300);
    e.time_ms = static_cast<std::int64_t>(1700000000000 + rng() % 1000);
    b.append(e.kind, e.body, e.time_ms);
    out.push_back(std::move(e));
  }
  auto seqs = l.commit(std::move(b));
  EXPECT_TRUE(seqs.ok()) << seqs.status().to_string();
  if (!seqs.ok()) return {};
  EXPECT_EQ(seqs->size(), n);
  for (std::size_t i = 0; i < n && i < seqs->size(); ++i) out[i].seq = (*seqs)[i];
  return out;
}

}  // namespace gpoc::ledger::test
