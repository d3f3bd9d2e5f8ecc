#include "sqlite.hpp"

#include <string>

namespace gpoc::ledger::detail {

static ErrorCode code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_IOERR: return ErrorCode::data_loss;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::unavailable;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
    case SQLITE_NOMEM: return ErrorCode::resource_exhausted;
    case SQLITE_CANTOPEN: return ErrorCode::not_found;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return ErrorCode::permission_denied;
    case SQLITE_CONSTRAINT:
    case SQLITE_SCHEMA: return ErrorCode::failed_precondition;
    default: return ErrorCode::internal;
  }
}

Status sqlite_status(int rc, std::string_view path, std::string_view what,
                     std::string_view detail) {
  std::string msg = "ledger " + std::string(path) + ": " + std::string(what) + ": ";
  msg += detail.empty() ? std::string(sqlite3_errstr(rc)) : std::string(detail);
  msg += " (sqlite code " + std::to_string(rc) + ")";
  return {code_for(rc), std::move(msg)};
}

Result<Db> Db::open(const std::string& path, bool read_only) {
  Db db;
  db.path_ = path;
  sqlite3* raw = nullptr;
  // NOMUTEX: the Ledger serializes every call itself. EXRESCODE: extended codes in errors.
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db.db_.reset(raw);  // closes it on every path, failure included
  if (rc != SQLITE_OK) {
    return sqlite_status(rc, path, "open", raw ? sqlite3_errmsg(raw) : "");
  }
  return db;
}

Status Db::error(int rc, std::string_view what) const {
  return sqlite_status(rc, path_, what, sqlite3_errmsg(db_.get()));
}

Status Db::exec(std::string_view sql) const {
  std::string s(sql);
  int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, s.size() > 60 ? s.substr(0, 60) + "..." : s);
  return ok_status();
}

Result<Stmt> Stmt::prepare(const Db& db, std::string_view sql, std::string name) {
  Stmt s;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  s.stmt_.reset(raw);
  if (rc != SQLITE_OK) return db.error(rc, "prepare " + name);
  s.name_ = std::move(name);
  return s;
}

Status Query::check_bind(int rc) const {
  if (rc == SQLITE_OK) return ok_status();
  return db_.error(rc, "bind for " + name_);
}

Status Query::bind_text(int i, std::string_view s) {
  return check_bind(sqlite3_bind_text64(stmt_, i, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8));
}

Status Query::bind_blob(int i, ByteView b) {
  // A null pointer would bind SQL NULL, not an empty blob.
  if (b.empty()) return check_bind(sqlite3_bind_zeroblob(stmt_, i, 0));
  return check_bind(sqlite3_bind_blob64(stmt_, i, b.data(), b.size(), SQLITE_STATIC));
}

Result<bool> Query::step() {
  last_rc_ = sqlite3_step(stmt_);
  if (last_rc_ == SQLITE_ROW) return true;
  if (last_rc_ == SQLITE_DONE) return false;
  return db_.error(last_rc_, name_);
}

Status Query::run() {
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return ok_status();
  }
}

std::string Query::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

Bytes Query::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, col)) : Bytes();
}

}  // namespace gpoc::ledger::detail
