// The scheduler's durable store: a hash-chained, append-only log of entries plus the derived state
// (tasks, verified outputs, worker scores) kept in the same SQLite database and written in the
// same transaction, so a crash never leaves the two disagreeing. ledger/README.md has the schema
// and the durability guarantees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/common/status.hpp"
#include "gpoc/common/value.hpp"

namespace gpoc::ledger {

inline constexpr int kSchemaVersion = 2;                      // PRAGMA user_version
inline constexpr std::size_t kKindBytesMax = 64;              // printable ASCII, no spaces
inline constexpr std::size_t kEntryBodyBytesMax = 16u << 20;  // one entry's body
inline constexpr std::size_t kBlobBytesMax = 256u << 20;      // a task input or output
inline constexpr const char* kDatabaseFileName = "ledger.db";

struct Entry {
  std::uint64_t seq = 0;
  std::string kind;
  Bytes body;
  Digest32 prev_hash{};
  Digest32 hash{};
  std::int64_t time_ms = 0;  // informational: not covered by the hash
  bool operator==(const Entry&) const = default;
};

// hash = SHA-256(prev_hash(32) || seq as u64 LE || u8 len(kind) || kind || body).
Digest32 entry_hash(const Digest32& prev_hash, std::uint64_t seq, std::string_view kind,
                    ByteView body);

// The scheduler's durable record of an accepted task (operational state, not hash-chained).
struct StoredTask {
  TaskId task_id{};
  Bytes spec;             // task spec bytes as signed by the requester
  Signature signature{};  // requester signature over spec
  Bytes input;
  int state = 0;       // the wire TaskState number (2 pending ... 6 completed, 7 failed)
  std::string reason;  // why it failed, if it did
  std::int64_t submitted_ms = 0;
  std::int64_t finished_ms = 0;
  Digest32 digest{};  // result digest once completed
  std::uint64_t output_bytes = 0;
  std::uint64_t ledger_seq = 0;  // entry that committed or failed it; 0 while none
  Bytes status_blob;  // opaque summary the scheduler stores for status queries after restart
  bool operator==(const StoredTask&) const = default;
};

namespace detail {
struct AppendOp {
  std::string kind;
  Bytes body;
  std::int64_t time_ms = 0;
};
struct OutputOp {
  TaskId task_id{};
  Bytes output;
};
struct ScoreOp {
  PublicKey worker{};
  std::uint64_t score = 0;
};
struct BalanceOp {
  PublicKey account{};
  Balance balance;
  bool indexed = false;  // link the account to the last entry appended before this op
  bool set = true;       // false: only index, leave the balance alone
};
using BatchOp = std::variant<AppendOp, StoredTask, OutputOp, ScoreOp, BalanceOp>;
struct LedgerImpl;
}  // namespace detail

// Collects writes; Ledger::commit applies them in one transaction, in order. An entry appended
// here gets seq `ledger.size() + appended()` (counted after the append) when this batch is the
// next one committed, so a StoredTask can name the entry that finalizes it in the same batch.
class Batch {
 public:
  void append(std::string kind, Bytes body, std::int64_t time_ms);
  // Insert or replace by task_id. An empty input on an existing task keeps the stored input:
  // the task id commits to the input, so state updates need not carry it again.
  void put_task(StoredTask task);
  void put_output(const TaskId& id, Bytes output);  // the verified output of a completed task
  void set_score(const PublicKey& worker, std::uint64_t score);
  // The account's balance after this batch's entries so far; the account's history then lists
  // the last entry appended before this call (the one whose moves changed it).
  void set_balance(const PublicKey& account, Balance balance);
  // Links `subject` (any 32-byte id: a task, a mint statement's hash) to the last entry appended
  // so far, for lookups with account_entries().
  void index(const Digest32& subject);
  bool empty() const { return ops_.empty(); }
  std::size_t appended() const { return appended_; }

 private:
  friend class Ledger;
  std::vector<detail::BatchOp> ops_;
  std::size_t appended_ = 0;
};

struct VerifyReport {
  bool ok = true;
  std::uint64_t entries = 0;  // entries checked good (all of them when ok)
  std::optional<std::uint64_t> first_bad_seq;
  std::string problem;  // e.g. "entry 17: hash does not match its contents"
  Digest32 head{};      // hash of the last good entry
};

// Thread-safe: every call takes an internal lock. Not for use by two writers on one database:
// a second writer's commit fails with failed_precondition instead of forking the chain.
class Ledger {
 public:
  // Opens (creating if needed) DIR/ledger.db; creates DIR. read_only opens without creating or
  // writing (for `gpoc ledger verify`); it tolerates a damaged chain so verify() can name it,
  // where a writable open refuses a database whose last entry disagrees with its recorded head.
  static Result<std::unique_ptr<Ledger>> open(const std::filesystem::path& data_dir,
                                              bool read_only = false);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // One transaction: appended entries get consecutive seqs chained to the head. Returns the seqs
  // assigned, in order. On any failure nothing of the batch is applied and the in-memory head
  // is unchanged. After an I/O error the ledger refuses further writes (reopen to recover).
  Result<std::vector<std::uint64_t>> commit(Batch&& batch);
  // commit() in two halves, for a writer that pipelines its group commits: commit_unsynced()
  // returns once the transaction is in the write-ahead log, where readers already see it, and
  // sync() makes every transaction committed before it was called durable (one fdatasync of the
  // log, so one sync covers several commits). sync() may run on another thread, concurrently
  // with the next commit_unsynced(). Nothing may be acknowledged as durable before its sync()
  // returns ok; after a failed sync the ledger refuses further writes, as after a failed commit.
  Result<std::vector<std::uint64_t>> commit_unsynced(Batch&& batch);
  Status sync();
  std::uint64_t size() const;                 // number of entries (== last seq)
  Digest32 head_hash() const;                 // hash of the last entry, zeros if empty
  const std::filesystem::path& path() const;  // the database file
  Result<Entry> entry(std::uint64_t seq) const;
  // Calls fn for entries from_seq.. in order; fn returns false to stop. fn may read from this
  // ledger but must not commit to it.
  Status for_each_entry(std::uint64_t from_seq, const std::function<bool(const Entry&)>& fn) const;
  Result<std::optional<StoredTask>> task(const TaskId& id) const;
  Result<std::vector<StoredTask>> tasks_in_states(const std::vector<int>& states) const;
  Result<std::optional<Bytes>> output(const TaskId& id) const;
  Result<std::uint64_t> score(const PublicKey& worker) const;               // 0 if unknown
  Result<std::vector<std::pair<PublicKey, std::uint64_t>>> scores() const;  // by key
  Result<Balance> balance(const PublicKey& account) const;                  // zeros if unknown
  Result<std::vector<std::pair<PublicKey, Balance>>> balances() const;      // by key
  // The entries that moved value in or out of `account`, newest first, at most `limit`.
  Result<std::vector<std::uint64_t>> account_entries(const PublicKey& account,
                                                     std::size_t limit) const;
  // Recomputes every entry's hash and the chain links from seq 1; names the first bad entry.
  // A database SQLite itself finds corrupt is a data_loss error rather than a report.
  Result<VerifyReport> verify() const;
  // Runs `fn` inside one read transaction: every query made through this ledger from this thread
  // sees the same snapshot, even while a scheduler keeps committing. For auditing a live ledger.
  Status with_snapshot(const std::function<Status()>& fn) const;
  // RFC 6962 Merkle root over the hashes of entries 1..size (leaf hashes are the entry hashes),
  // and the inclusion proof of entry seq in a tree of that size.
  Result<Digest32> tree_root(std::uint64_t size) const;
  Result<std::vector<Digest32>> inclusion_proof(std::uint64_t seq, std::uint64_t size) const;

 private:
  explicit Ledger(std::unique_ptr<detail::LedgerImpl> impl);
  std::unique_ptr<detail::LedgerImpl> impl_;
};

}  // namespace gpoc::ledger
