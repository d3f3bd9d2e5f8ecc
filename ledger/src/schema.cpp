// Connection settings and the schema (version kSchemaVersion in PRAGMA user_version).
#include <string>

#include "ledger_impl.hpp"

namespace gpoc::ledger::detail {
namespace {

// 'gpoc' in ASCII: marks the file as a gpoc ledger for `file(1)` and for open's checks.
constexpr std::int64_t kApplicationId = 0x67706f63;
constexpr int kBusyTimeoutMs = 5000;

// Entries are append-only, enforced in the database too so that no code path (ours or a stray
// sqlite3 shell) can rewrite history by accident. Derived state may be updated freely.
// Task inputs live apart from task rows because SQLite rewrites a whole row on UPDATE: a state
// change must not copy a 256 MiB input. The foreign keys are deferred so a batch may write an
// output before the task it belongs to.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE entries (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  body BLOB NOT NULL,
  prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  time_ms INTEGER NOT NULL
) STRICT;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TABLE head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
INSERT INTO head (id, size, hash) VALUES (1, 0, zeroblob(32));
CREATE TABLE tasks (
  task_id BLOB NOT NULL PRIMARY KEY CHECK (length(task_id) = 32),
  spec BLOB NOT NULL,
  signature BLOB NOT NULL CHECK (length(signature) = 64),
  state INTEGER NOT NULL,
  reason TEXT NOT NULL,
  submitted_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  digest BLOB NOT NULL CHECK (length(digest) = 32),
  output_bytes INTEGER NOT NULL,
  ledger_seq INTEGER NOT NULL,
  status_blob BLOB NOT NULL
) STRICT;
CREATE INDEX tasks_by_state ON tasks (state);
CREATE TABLE task_inputs (
  task_id BLOB NOT NULL PRIMARY KEY REFERENCES tasks (task_id) DEFERRABLE INITIALLY DEFERRED,
  input BLOB NOT NULL
) STRICT;
CREATE TABLE outputs (
  task_id BLOB NOT NULL PRIMARY KEY REFERENCES tasks (task_id) DEFERRABLE INITIALLY DEFERRED,
  output BLOB NOT NULL
) STRICT;
CREATE TABLE scores (
  worker BLOB NOT NULL PRIMARY KEY CHECK (length(worker) = 32),
  score INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE balances (
  account BLOB NOT NULL PRIMARY KEY CHECK (length(account) = 32),
  free INTEGER NOT NULL CHECK (free >= 0),
  locked INTEGER NOT NULL CHECK (locked >= 0)
) STRICT, WITHOUT ROWID;
CREATE TABLE account_entries (
  account BLOB NOT NULL CHECK (length(account) = 32),
  seq INTEGER NOT NULL REFERENCES entries (seq),
  PRIMARY KEY (account, seq)
) STRICT, WITHOUT ROWID;
)sql";

Result<std::int64_t> pragma_int(const Db& db, const char* sql) {
  GPOC_ASSIGN_OR_RETURN(Stmt s, Stmt::prepare(db, sql, sql));
  Query q(db, s);
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return internal_error("ledger " + db.path() + ": " + sql + " returned no row");
  return q.i64(0);
}

Status check_identity(const Db& db, std::int64_t version) {
  GPOC_ASSIGN_OR_RETURN(std::int64_t app_id, pragma_int(db, "PRAGMA application_id"));
  if (version > kSchemaVersion) {
    return failed_precondition("ledger " + db.path() + " has schema version " +
                               std::to_string(version) + ", newer than this build reads (" +
                               std::to_string(kSchemaVersion) + "); upgrade gpoc");
  }
  if (app_id != kApplicationId || version < 1) {
    return failed_precondition("ledger " + db.path() + " is not a gpoc ledger (application_id " +
                               std::to_string(app_id) + ", schema version " +
                               std::to_string(version) + ")");
  }
  return ok_status();
}

Status create_schema(const Db& db) {
  GPOC_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  // Re-read under the write lock: another process may have created the schema meanwhile.
  auto version = pragma_int(db, "PRAGMA user_version");
  auto tables = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
  Status s = !version.ok() ? version.status() : !tables.ok() ? tables.status() : ok_status();
  if (s.ok() && *version == 0 && *tables != 0) s = check_identity(db, 0);  // someone else's file
  if (s.ok() && *version == 0) {
    s = db.exec(std::string(kSchemaV1) + "PRAGMA user_version = " + std::to_string(kSchemaVersion) +
                "; PRAGMA application_id = " + std::to_string(kApplicationId) + ";");
  }
  if (s.ok()) return db.exec("COMMIT");
  (void)db.exec("ROLLBACK");
  return s;
}

}  // namespace

bool valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > kKindBytesMax) return false;
  for (char c : kind) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Status configure(const Db& db, bool read_only) {
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // Defensive: no writable_schema tricks through this connection, even on a hostile file.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  if (sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH, -1) < static_cast<int>(kBlobBytesMax + 4096)) {
    return failed_precondition("ledger " + db.path() +
                               ": SQLite is built with a blob limit "
                               "below the 256 MiB gpoc needs");
  }
  GPOC_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"));
  if (read_only) return ok_status();
  // A writer syncs the log itself after each COMMIT (Ledger::sync), so that a pipelined writer
  // can fsync one batch while it writes the next. NORMAL keeps SQLite's own syncs around
  // checkpoints and when the log starts over; together they are what FULL does, and a commit
  // is durable when Ledger::commit (or commit_unsynced and then sync) returns.
  GPOC_RETURN_IF_ERROR(db.exec("PRAGMA synchronous = NORMAL"));
  GPOC_ASSIGN_OR_RETURN(Stmt wal, Stmt::prepare(db, "PRAGMA journal_mode = WAL", "set WAL mode"));
  Query q(db, wal);
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row || q.text(0) != "wal") {
    return failed_precondition("ledger " + db.path() + ": cannot use WAL mode on this filesystem");
  }
  // Checkpoint every 4,000 WAL pages (16 MiB) instead of SQLite's 1,000. The checkpoint runs in
  // the commit that crosses the mark, and pages the scheduler rewrites in every batch (the head,
  // the right edge of each table) are copied once per checkpoint however often they changed:
  // one commit in ~250 instead of one in ~60 pays for a checkpoint, and BM_LedgerCommit's p99
  // fell from 2.6-2.9 ms to 0.5-0.6 ms. Truncate the WAL back to 64 MiB afterwards; large
  // outputs would otherwise leave it at its high-water mark forever.
  return db.exec("PRAGMA wal_autocheckpoint = 4000; PRAGMA journal_size_limit = 67108864");
}

Status ensure_schema(const Db& db, bool read_only) {
  GPOC_ASSIGN_OR_RETURN(std::int64_t version, pragma_int(db, "PRAGMA user_version"));
  if (version == 0 && read_only) {
    // A writer killed during its very first open leaves an empty file: no ledger yet.
    GPOC_ASSIGN_OR_RETURN(std::int64_t tables,
                          pragma_int(db, "SELECT count(*) FROM sqlite_schema"));
    if (tables == 0) return not_found("ledger " + db.path() + " is empty (never initialized)");
  }
  if (version != 0 || read_only) return check_identity(db, version);
  return create_schema(db);
}

}  // namespace gpoc::ledger::detail
