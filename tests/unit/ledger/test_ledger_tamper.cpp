// verify() against a database altered behind the ledger's back, and open() on damaged files.
#include <fstream>

#include "ledger_test_util.hpp"

namespace gpoc::ledger::test {
namespace {

class TamperTest : public LedgerTest {
 protected:
  static constexpr std::uint64_t kEntries = 40;
  void SetUp() override {
    LedgerTest::SetUp();
    std::mt19937_64 rng(21);
    auto l = open_ok();
    ASSERT_TRUE(l);
    for (int i = 0; i < 4; ++i) {
      auto got = append_random(*l, rng, kEntries / 4);
      all_.insert(all_.end(), got.begin(), got.end());
    }
    ASSERT_EQ(l->size(), kEntries);
    for (auto& e : all_) e = *l->entry(e.seq);
  }
  // Opens read-only (as `gpoc ledger verify` does) and verifies.
  VerifyReport verify_readonly() {
    auto l = open_ok(true);
    if (!l) return {};
    auto r = l->verify();
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : VerifyReport{};
  }
  void expect_first_bad(std::uint64_t seq, std::string_view problem) {
    VerifyReport r = verify_readonly();
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.first_bad_seq.has_value()) << r.problem;
    EXPECT_EQ(*r.first_bad_seq, seq) << r.problem;
    EXPECT_NE(r.problem.find(problem), std::string::npos) << r.problem;
    EXPECT_EQ(r.problem.rfind("entry " + std::to_string(seq) + ":", 0), 0u) << r.problem;
    EXPECT_EQ(r.entries, seq - 1);
  }
  std::vector<Entry> all_;
};

TEST_F(TamperTest, GoodLedgerVerifies) {
  VerifyReport r = verify_readonly();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_FALSE(r.first_bad_seq.has_value());
  EXPECT_EQ(r.entries, kEntries);
  EXPECT_EQ(r.head, all_.back().hash);
}

TEST_F(TamperTest, SchemaRefusesToRewriteEntries) {
  RawDb raw(db_path());
  EXPECT_NE(raw.exec("UPDATE entries SET body = x'00' WHERE seq = 3"), SQLITE_OK);
  EXPECT_NE(raw.last_error().find("append-only"), std::string::npos) << raw.last_error();
  EXPECT_NE(raw.exec("DELETE FROM entries WHERE seq = 40"), SQLITE_OK);
  EXPECT_TRUE(verify_readonly().ok);
}

TEST_F(TamperTest, ChangedBodyByteIsNamed) {
  Bytes body = all_[16].body;
  body[body.size() / 2] ^= 0x01;
  RawDb raw(db_path());
  raw.drop_guards();
  ASSERT_EQ(raw.exec_blob("UPDATE entries SET body = ?1 WHERE seq = 17", body), SQLITE_OK);
  expect_first_bad(17, "hash does not match its contents");
}

TEST_F(TamperTest, ChangedPrevHashIsNamed) {
  Digest32 prev = all_[22].prev_hash;
  prev[0] ^= 0x80;
  RawDb raw(db_path());
  raw.drop_guards();
  ASSERT_EQ(raw.exec_blob("UPDATE entries SET prev_hash = ?1 WHERE seq = 23", prev), SQLITE_OK);
  expect_first_bad(23, "prev_hash does not match the hash of entry 22");
}

TEST_F(TamperTest, RehashedEntryBreaksTheNextLink) {
  // A careful forger rewrites entry 10 with a correct hash of its new contents.
  Entry e = all_[9];
  e.body.push_back(0x42);
  Digest32 hash = entry_hash(e.prev_hash, e.seq, e.kind, e.body);
  RawDb raw(db_path());
  raw.drop_guards();
  ASSERT_EQ(raw.exec_blob("UPDATE entries SET body = ?1 WHERE seq = 10", e.body), SQLITE_OK);
  ASSERT_EQ(raw.exec_blob("UPDATE entries SET hash = ?1 WHERE seq = 10", hash), SQLITE_OK);
  expect_first_bad(11, "prev_hash does not match the hash of entry 10");
}

TEST_F(TamperTest, DeletedMiddleRowIsNamed) {
  RawDb raw(db_path());
  raw.drop_guards();
  ASSERT_EQ(raw.exec("DELETE FROM entries WHERE seq = 12"), SQLITE_OK);
  expect_first_bad(12, "missing");
}

TEST_F(TamperTest, SwappedBodiesAreNamed) {
  ASSERT_NE(all_[4].body, all_[8].body);
  RawDb raw(db_path());
  raw.drop_guards();
  ASSERT_EQ(raw.exec("UPDATE entries SET body = CASE seq WHEN 5 THEN "
                     "(SELECT body FROM entries WHERE seq = 9) ELSE "
                     "(SELECT body FROM entries WHERE seq = 5) END WHERE seq IN (5, 9)"),
            SQLITE_OK);
  expect_first_bad(5, "hash does not match its contents");
}

TEST_F(TamperTest, TruncatedTailIsNamedAndBlocksWritableOpen) {
  RawDb raw(db_path());
  raw.drop_guards();
  ASSERT_EQ(raw.exec("DELETE FROM entries WHERE seq >= 39"), SQLITE_OK);
  expect_first_bad(39, "missing (the recorded head has 40 entries)");
  auto l = Ledger::open(dir_);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), ErrorCode::data_loss) << l.status().to_string();
  EXPECT_NE(l.status().message().find(db_path().string()), std::string::npos);
}

TEST_F(TamperTest, UnknownSchemaVersionIsRefusedClearly) {
  {
    RawDb raw(db_path());
    ASSERT_EQ(raw.exec("PRAGMA user_version = 99"), SQLITE_OK);
  }
  for (bool read_only : {false, true}) {
    auto l = Ledger::open(dir_, read_only);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), ErrorCode::failed_precondition);
    EXPECT_NE(l.status().message().find("schema version 99"), std::string::npos)
        << l.status().to_string();
  }
}

TEST_F(LedgerTest, ForeignDatabaseIsNotALedger) {
  std::filesystem::create_directories(dir_);
  {
    RawDb raw(db_path());
    ASSERT_EQ(raw.exec("CREATE TABLE t (x INTEGER)"), SQLITE_OK);
  }
  for (bool read_only : {false, true}) {
    auto l = Ledger::open(dir_, read_only);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), ErrorCode::failed_precondition);
    EXPECT_NE(l.status().message().find("not a gpoc ledger"), std::string::npos)
        << l.status().to_string();
  }
}

TEST_F(LedgerTest, GarbageFileIsDataLoss) {
  std::filesystem::create_directories(dir_);
  std::mt19937_64 rng(22);
  Bytes junk = random_bytes(rng, 8192);
  std::ofstream(db_path(), std::ios::binary)
      .write(reinterpret_cast<const char*>(junk.data()), static_cast<std::streamsize>(junk.size()));
  for (bool read_only : {true, false}) {
    auto l = Ledger::open(dir_, read_only);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), ErrorCode::data_loss) << l.status().to_string();
    EXPECT_NE(l.status().message().find(db_path().string()), std::string::npos);
  }
}

TEST_F(LedgerTest, CorruptPageIsDetected) {
  std::mt19937_64 rng(23);
  {
    auto l = open_ok();
    ASSERT_TRUE(l);
    for (int i = 0; i < 10; ++i) append_random(*l, rng, 50);
  }  // the last close checkpoints the WAL into the main file
  ASSERT_GT(std::filesystem::file_size(db_path()), 20u * 4096);
  {
    std::fstream f(db_path(), std::ios::binary | std::ios::in | std::ios::out);
    Bytes junk = random_bytes(rng, 1000);
    // A page in the middle of the file: entry rows, which fill most of it.
    const auto pages = static_cast<std::streamoff>(std::filesystem::file_size(db_path()) / 4096);
    f.seekp(pages / 2 * 4096 + 100);
    f.write(reinterpret_cast<const char*>(junk.data()), static_cast<std::streamsize>(junk.size()));
  }
  auto l = Ledger::open(dir_, /*read_only=*/true);
  if (!l.ok()) {
    EXPECT_EQ(l.status().code(), ErrorCode::data_loss) << l.status().to_string();
    return;
  }
  auto r = (*l)->verify();
  if (r.ok()) {
    EXPECT_FALSE(r->ok) << "a damaged page went unnoticed";
  } else {
    EXPECT_EQ(r.status().code(), ErrorCode::data_loss) << r.status().to_string();
  }
}

// Damage outside the entries table (here the last page, written by the task tables) is not on
// the chain walk's path; SQLite's own check must catch it.
TEST_F(LedgerTest, CorruptDerivedStatePageIsDataLoss) {
  std::mt19937_64 rng(25);
  {
    auto l = open_ok();
    ASSERT_TRUE(l);
    append_random(*l, rng, 3);
    Batch b;
    for (int i = 0; i < 300; ++i) b.put_task(random_task(rng, 2));
    ASSERT_TRUE(l->commit(std::move(b)).ok());
  }
  const auto bytes = std::filesystem::file_size(db_path());
  ASSERT_EQ(bytes % 4096, 0u);
  {
    std::fstream f(db_path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(bytes - 4096));
    const std::string junk(64, '\xff');  // an impossible b-tree page header
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto l = open_ok(/*read_only=*/true);
  ASSERT_TRUE(l);
  auto r = l->verify();
  ASSERT_FALSE(r.ok()) << "verify passed a damaged page: " << (r.ok() ? r->problem : "");
  EXPECT_EQ(r.status().code(), ErrorCode::data_loss);
  EXPECT_NE(r.status().message().find("integrity check"), std::string::npos)
      << r.status().to_string();
}

}  // namespace
}  // namespace gpoc::ledger::test
