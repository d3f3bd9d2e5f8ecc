// Thin RAII layer over the SQLite C API: a move-only connection and prepared statement, and a
// Query that binds, steps and always resets its statement (a statement left mid-step would hold
// a read transaction open and stall WAL checkpoints). Errors become Status values naming the
// database file.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc::ledger::detail {

// Maps a SQLite result code to a Status: corruption and I/O errors are data_loss (a failed
// write or fsync may have lost data), a held lock unavailable, a full disk resource_exhausted.
Status sqlite_status(int rc, std::string_view path, std::string_view what, std::string_view detail);

class Db {
 public:
  Db() = default;
  static Result<Db> open(const std::string& path, bool read_only);
  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }
  // The error of the last call on this connection, as a Status.
  Status error(int rc, std::string_view what) const;
  // Runs SQL with no parameters and no rows wanted (PRAGMA setters, DDL).
  Status exec(std::string_view sql) const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

class Stmt {
 public:
  Stmt() = default;
  static Result<Stmt> prepare(const Db& db, std::string_view sql, std::string name);
  sqlite3_stmt* get() const { return stmt_.get(); }
  const std::string& name() const { return name_; }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string name_;
};

// One use of a statement. Blobs are bound without copying: they must outlive the Query.
class Query {
 public:
  Query(const Db& db, Stmt& stmt) : db_(db), stmt_(stmt.get()), name_(stmt.name()) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Status bind_i64(int i, std::int64_t v) { return check_bind(sqlite3_bind_int64(stmt_, i, v)); }
  Status bind_u64(int i, std::uint64_t v) { return bind_i64(i, static_cast<std::int64_t>(v)); }
  Status bind_text(int i, std::string_view s);
  Status bind_blob(int i, ByteView b);
  // True when a row is ready, false when the statement is done.
  Result<bool> step();
  // Steps to completion, for statements that return no rows.
  Status run();
  int last_rc() const { return last_rc_; }

  std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::uint64_t u64(int col) const { return static_cast<std::uint64_t>(i64(col)); }
  std::string text(int col) const;
  Bytes blob(int col) const;
  // Copies a fixed-size blob; false when the stored length differs (a damaged row).
  template <std::size_t N>
  bool blob_into(int col, std::array<std::uint8_t, N>& out) const {
    if (static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)) != N) return false;
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    std::copy(p, p + N, out.begin());
    return true;
  }

 private:
  Status check_bind(int rc) const;
  const Db& db_;
  sqlite3_stmt* stmt_;
  const std::string& name_;
  int last_rc_ = SQLITE_OK;
};

}  // namespace gpoc::ledger::detail
