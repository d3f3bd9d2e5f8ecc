// Opening the ledger, the entry hash, and the commit path (one transaction per batch).
#include "gpoc/ledger/ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <system_error>

#include "ledger_impl.hpp"

namespace gpoc::ledger {

using detail::Query;
using detail::Stmt;

Digest32 entry_hash(const Digest32& prev_hash, std::uint64_t seq, std::string_view kind,
                    ByteView body) {
  assert(kind.size() <= 255 && "the entry layout stores len(kind) in one byte");
  thread_local Sha256 h;  // reused: one EVP context per thread, not one per entry
  std::array<std::uint8_t, 8> seq_le{};
  for (std::size_t i = 0; i < 8; ++i) seq_le[i] = static_cast<std::uint8_t>(seq >> (8 * i));
  h.update(ByteView(prev_hash)).update(ByteView(seq_le));
  h.update_u8(static_cast<std::uint8_t>(kind.size())).update(kind).update(body);
  return h.finish();
}

void Batch::append(std::string kind, Bytes body, std::int64_t time_ms) {
  ops_.emplace_back(detail::AppendOp{std::move(kind), std::move(body), time_ms});
  ++appended_;
}
void Batch::put_task(StoredTask task) { ops_.emplace_back(std::move(task)); }
void Batch::put_output(const TaskId& id, Bytes output) {
  ops_.emplace_back(detail::OutputOp{id, std::move(output)});
}
void Batch::set_score(const PublicKey& worker, std::uint64_t score) {
  ops_.emplace_back(detail::ScoreOp{worker, score});
}

void Batch::set_balance(const PublicKey& account, Balance balance) {
  ops_.emplace_back(detail::BalanceOp{account, balance, appended_ > 0, true});
}

void Batch::index(const Digest32& subject) {
  ops_.emplace_back(detail::BalanceOp{subject, {}, appended_ > 0, false});
}

namespace {

// A new file's directory entry is only durable once the directory itself is synced; SQLite
// does this for its journals but not for the main database file.
Status sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    std::error_code ec(errno, std::generic_category());
    if (fd >= 0) ::close(fd);
    return data_loss("ledger: cannot sync directory " + dir.string() + ": " + ec.message());
  }
  ::close(fd);
  return ok_status();
}

Status prepare_dir(const std::filesystem::path& dir, const std::filesystem::path& db_path,
                   bool read_only) {
  std::error_code ec;
  if (read_only) {
    if (!std::filesystem::exists(db_path, ec)) {
      return not_found("ledger " + db_path.string() + " does not exist");
    }
    return ok_status();
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return {ErrorCode::permission_denied,
            "ledger: cannot create directory " + dir.string() + ": " + ec.message()};
  }
  return ok_status();
}

}  // namespace

Ledger::Ledger(std::unique_ptr<detail::LedgerImpl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Ledger>> Ledger::open(const std::filesystem::path& data_dir,
                                             bool read_only) {
  auto impl = std::make_unique<detail::LedgerImpl>();
  impl->path = data_dir / kDatabaseFileName;
  impl->read_only = read_only;
  GPOC_RETURN_IF_ERROR(prepare_dir(data_dir, impl->path, read_only));
  std::error_code ec;
  bool created = !read_only && !std::filesystem::exists(impl->path, ec);
  GPOC_ASSIGN_OR_RETURN(impl->db, detail::Db::open(impl->path.string(), read_only));
  GPOC_RETURN_IF_ERROR(detail::configure(impl->db, read_only));
  GPOC_RETURN_IF_ERROR(detail::ensure_schema(impl->db, read_only));
  if (created) {
    GPOC_RETURN_IF_ERROR(sync_directory(data_dir));
    GPOC_RETURN_IF_ERROR(sync_directory(std::filesystem::absolute(data_dir).parent_path()));
  }
  GPOC_RETURN_IF_ERROR(impl->prepare_statements());
  GPOC_RETURN_IF_ERROR(impl->load_head());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Result<std::vector<std::uint64_t>> Ledger::commit(Batch&& batch) {
  GPOC_ASSIGN_OR_RETURN(auto seqs, commit_unsynced(std::move(batch)));
  GPOC_RETURN_IF_ERROR(sync());
  return seqs;
}

Result<std::vector<std::uint64_t>> Ledger::commit_unsynced(Batch&& batch) {
  std::lock_guard lock(impl_->mu);
  auto ops = std::move(batch.ops_);
  std::size_t appended = batch.appended_;
  batch.ops_.clear();
  batch.appended_ = 0;
  return impl_->commit(ops, appended);
}

Status Ledger::sync() { return impl_->sync_wal(); }

Ledger::~Ledger() {
  if (impl_ && impl_->wal_fd >= 0) ::close(impl_->wal_fd);
}

std::uint64_t Ledger::size() const {
  std::lock_guard lock(impl_->mu);
  return impl_->size;
}

Digest32 Ledger::head_hash() const {
  std::lock_guard lock(impl_->mu);
  return impl_->head;
}

const std::filesystem::path& Ledger::path() const { return impl_->path; }

namespace detail {

Status LedgerImpl::prepare_statements() {
  static constexpr const char* kTaskSelect =
      "SELECT t.task_id, t.spec, t.signature, t.state, t.reason, t.submitted_ms, t.finished_ms, "
      "t.digest, t.output_bytes, t.ledger_seq, t.status_blob, i.input "
      "FROM tasks t LEFT JOIN task_inputs i ON i.task_id = t.task_id ";
  const std::pair<Stmt*, std::string> all[] = {
      {&st.begin, "BEGIN IMMEDIATE"},
      {&st.commit, "COMMIT"},
      {&st.rollback, "ROLLBACK"},
      {&st.insert_entry,
       "INSERT INTO entries (seq, kind, body, prev_hash, hash, time_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&st.upsert_task,
       "INSERT INTO tasks (task_id, spec, signature, state, reason, submitted_ms, finished_ms, "
       "digest, output_bytes, ledger_seq, status_blob) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (task_id) DO UPDATE "
       "SET spec = excluded.spec, signature = excluded.signature, state = excluded.state, "
       "reason = excluded.reason, submitted_ms = excluded.submitted_ms, "
       "finished_ms = excluded.finished_ms, digest = excluded.digest, "
       "output_bytes = excluded.output_bytes, ledger_seq = excluded.ledger_seq, "
       "status_blob = excluded.status_blob"},
      // An empty input on an existing task keeps the stored one, so a state change need not
      // resend (or make SQLite compare) up to 256 MiB; an unchanged one is compared, not
      // rewritten, since SQLite would copy the whole blob into the WAL again.
      {&st.upsert_input,
       "INSERT INTO task_inputs (task_id, input) VALUES (?1, ?2) "
       "ON CONFLICT (task_id) DO UPDATE SET input = excluded.input "
       "WHERE length(excluded.input) > 0 AND input IS NOT excluded.input"},
      {&st.upsert_output,
       "INSERT INTO outputs (task_id, output) VALUES (?1, ?2) "
       "ON CONFLICT (task_id) DO UPDATE SET output = excluded.output"},
      {&st.upsert_score,
       "INSERT INTO scores (worker, score) VALUES (?1, ?2) "
       "ON CONFLICT (worker) DO UPDATE SET score = excluded.score"},
      // Compare-and-set: fails when another writer moved the head since we loaded it.
      {&st.advance_head,
       "UPDATE head SET size = ?1, hash = ?2 "
       "WHERE id = 1 AND size = ?3 AND hash = ?4"},
      {&st.get_entry,
       "SELECT seq, kind, body, prev_hash, hash, time_ms FROM entries "
       "WHERE seq = ?1"},
      {&st.get_task, std::string(kTaskSelect) + "WHERE t.task_id = ?1"},
      {&st.tasks_in_state, std::string(kTaskSelect) + "WHERE t.state = ?1"},
      {&st.get_output, "SELECT output FROM outputs WHERE task_id = ?1"},
      {&st.get_score, "SELECT score FROM scores WHERE worker = ?1"},
      {&st.all_scores, "SELECT worker, score FROM scores ORDER BY worker"},
      {&st.upsert_balance,
       "INSERT INTO balances (account, free, locked) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (account) DO UPDATE SET free = excluded.free, locked = excluded.locked"},
      {&st.delete_balance, "DELETE FROM balances WHERE account = ?1"},
      {&st.index_account, "INSERT OR IGNORE INTO account_entries (account, seq) VALUES (?1, ?2)"},
      {&st.get_balance, "SELECT free, locked FROM balances WHERE account = ?1"},
      {&st.all_balances, "SELECT account, free, locked FROM balances ORDER BY account"},
      {&st.account_entries,
       "SELECT seq FROM account_entries WHERE account = ?1 ORDER BY seq DESC LIMIT ?2"},
      {&st.entry_hashes,
       "SELECT seq, hash FROM entries WHERE seq >= ?1 AND seq < ?2 "
       "ORDER BY seq"},
  };
  for (const auto& [stmt, sql] : all) {
    GPOC_ASSIGN_OR_RETURN(*stmt, Stmt::prepare(db, sql, sql.substr(0, sql.find(" (?1"))));
  }
  return ok_status();
}

// Loads the head from the last entry. A writable open also checks that entry against the head
// recorded in the same transactions: appending onto a truncated or altered tail would hide it.
Status LedgerImpl::load_head() {
  GPOC_ASSIGN_OR_RETURN(Stmt last, Stmt::prepare(db,
                                                 "SELECT seq, kind, body, prev_hash, hash, "
                                                 "time_ms FROM entries ORDER BY seq DESC LIMIT 1",
                                                 "read last entry"));
  Query q(db, last);
  GPOC_ASSIGN_OR_RETURN(bool any, q.step());
  size = any ? q.u64(0) : 0;
  head = Digest32{};
  if (any && !q.blob_into(4, head) && !read_only) return entries_missing(size);
  if (read_only) return ok_status();  // verify() will judge the chain
  GPOC_ASSIGN_OR_RETURN(Stmt rec, Stmt::prepare(db, "SELECT size, hash FROM head WHERE id = 1",
                                                "read recorded head"));
  Query h(db, rec);
  GPOC_ASSIGN_OR_RETURN(bool has_head, h.step());
  Digest32 recorded{};
  bool consistent = has_head && h.blob_into(1, recorded) && h.u64(0) == size && recorded == head;
  if (consistent && any) {
    auto e = read_entry_row(q);
    consistent = e.ok() && entry_hash(e->prev_hash, e->seq, e->kind, e->body) == e->hash;
  }
  if (!consistent) {
    return data_loss("ledger " + path.string() + ": the last entry (seq " + std::to_string(size) +
                     ") does not match the recorded head; run `gpoc ledger verify`");
  }
  return ok_status();
}

Status LedgerImpl::validate(const std::vector<BatchOp>& ops, std::size_t appended) const {
  const std::uint64_t final_size = size + appended;
  for (const BatchOp& op : ops) {
    if (const auto* a = std::get_if<AppendOp>(&op)) {
      if (!valid_kind(a->kind)) {
        return invalid_argument("ledger: entry kind \"" + a->kind +
                                "\" is not 1..64 printable ASCII characters");
      }
      if (a->body.size() > kEntryBodyBytesMax) {
        return resource_exhausted("ledger: entry body of " + std::to_string(a->body.size()) +
                                  " bytes exceeds " + std::to_string(kEntryBodyBytesMax));
      }
    } else if (const auto* t = std::get_if<StoredTask>(&op)) {
      if (t->input.size() > kBlobBytesMax || t->spec.size() > kBlobBytesMax ||
          t->status_blob.size() > kBlobBytesMax) {
        return resource_exhausted("ledger: task input, spec or status over 256 MiB");
      }
      if (t->ledger_seq > final_size) {
        return invalid_argument("ledger: task names entry " + std::to_string(t->ledger_seq) +
                                " but the ledger will hold " + std::to_string(final_size));
      }
    } else if (const auto* b = std::get_if<BalanceOp>(&op)) {
      if (b->balance.free > kSupplyMax || b->balance.locked > kSupplyMax) {
        return invalid_argument("ledger: a balance above the supply limit of 2^63 - 1 units");
      }
    } else if (const auto* o = std::get_if<OutputOp>(&op)) {
      if (o->output.size() > kBlobBytesMax) {
        return resource_exhausted("ledger: output of " + std::to_string(o->output.size()) +
                                  " bytes exceeds 256 MiB");
      }
    }
  }
  return ok_status();
}

Result<std::vector<std::uint64_t>> LedgerImpl::commit(std::vector<BatchOp>& ops,
                                                      std::size_t appended) {
  const std::string where = "ledger " + path.string();
  if (read_only) return failed_precondition(where + " is open read-only");
  if (poisoned) {
    return failed_precondition(where +
                               " refuses writes after an I/O error; restart to recover "
                               "from the write-ahead log");
  }
  if (iterating > 0) return failed_precondition(where + ": commit from inside for_each_entry");
  GPOC_RETURN_IF_ERROR(validate(ops, appended));
  if (ops.empty()) return std::vector<std::uint64_t>{};
  std::vector<std::uint64_t> seqs;
  seqs.reserve(appended);
  Digest32 new_head = head;
  std::optional<Frontier> new_frontier = frontier;
  Status s = Query(db, st.begin).run();
  if (s.ok()) s = apply(ops, seqs, new_head, new_frontier);
  if (s.ok()) s = Query(db, st.commit).run();
  if (!s.ok()) {
    // A failed COMMIT (e.g. a deferred foreign key) leaves the transaction open.
    if (!sqlite3_get_autocommit(db.get()) && !Query(db, st.rollback).run().ok()) poisoned = true;
    // After a failed write or fsync the kernel may have dropped dirty pages: never carry on
    // (PostgreSQL's fsync lesson); a restart recovers from what the WAL really holds.
    if (s.code() == ErrorCode::data_loss) poisoned = true;
    return s;
  }
  size += seqs.size();
  head = new_head;
  frontier = std::move(new_frontier);
  return seqs;
}

Status LedgerImpl::apply(std::vector<BatchOp>& ops, std::vector<std::uint64_t>& seqs,
                         Digest32& head_out, std::optional<Frontier>& frontier_out) {
  for (const BatchOp& op : ops) {
    if (const auto* a = std::get_if<AppendOp>(&op)) {
      const std::uint64_t seq = size + seqs.size() + 1;
      const Digest32 hash = entry_hash(head_out, seq, a->kind, a->body);
      Query q(db, st.insert_entry);
      GPOC_RETURN_IF_ERROR(q.bind_u64(1, seq));
      GPOC_RETURN_IF_ERROR(q.bind_text(2, a->kind));
      GPOC_RETURN_IF_ERROR(q.bind_blob(3, a->body));
      GPOC_RETURN_IF_ERROR(q.bind_blob(4, head_out));
      GPOC_RETURN_IF_ERROR(q.bind_blob(5, hash));
      GPOC_RETURN_IF_ERROR(q.bind_i64(6, a->time_ms));
      GPOC_RETURN_IF_ERROR(q.run());
      head_out = hash;
      seqs.push_back(seq);
      if (frontier_out) frontier_out->push(hash);
    } else if (const auto* t = std::get_if<StoredTask>(&op)) {
      GPOC_RETURN_IF_ERROR(write_task(*t));
    } else if (const auto* o = std::get_if<OutputOp>(&op)) {
      Query q(db, st.upsert_output);
      GPOC_RETURN_IF_ERROR(q.bind_blob(1, o->task_id));
      GPOC_RETURN_IF_ERROR(q.bind_blob(2, o->output));
      GPOC_RETURN_IF_ERROR(q.run());
    } else if (const auto* sc = std::get_if<ScoreOp>(&op)) {
      Query q(db, st.upsert_score);
      GPOC_RETURN_IF_ERROR(q.bind_blob(1, sc->worker));
      GPOC_RETURN_IF_ERROR(q.bind_u64(2, sc->score));
      GPOC_RETURN_IF_ERROR(q.run());
    } else if (const auto* b = std::get_if<BalanceOp>(&op)) {
      if (!b->set) {
        // index only
      } else if (b->balance == Balance{}) {
        Query q(db, st.delete_balance);
        GPOC_RETURN_IF_ERROR(q.bind_blob(1, b->account));
        GPOC_RETURN_IF_ERROR(q.run());
      } else {
        Query q(db, st.upsert_balance);
        GPOC_RETURN_IF_ERROR(q.bind_blob(1, b->account));
        GPOC_RETURN_IF_ERROR(q.bind_u64(2, b->balance.free));
        GPOC_RETURN_IF_ERROR(q.bind_u64(3, b->balance.locked));
        GPOC_RETURN_IF_ERROR(q.run());
      }
      const std::uint64_t last = size + seqs.size();
      if (b->indexed && last > 0) {
        Query q(db, st.index_account);
        GPOC_RETURN_IF_ERROR(q.bind_blob(1, b->account));
        GPOC_RETURN_IF_ERROR(q.bind_u64(2, last));
        GPOC_RETURN_IF_ERROR(q.run());
      }
    }
  }
  Query q(db, st.advance_head);
  GPOC_RETURN_IF_ERROR(q.bind_u64(1, size + seqs.size()));
  GPOC_RETURN_IF_ERROR(q.bind_blob(2, head_out));
  GPOC_RETURN_IF_ERROR(q.bind_u64(3, size));
  GPOC_RETURN_IF_ERROR(q.bind_blob(4, head));
  GPOC_RETURN_IF_ERROR(q.run());
  if (sqlite3_changes(db.get()) != 1) {
    return failed_precondition("ledger " + path.string() +
                               ": the recorded head moved under this "
                               "process (a second writer?); reopen the ledger");
  }
  return ok_status();
}

Status LedgerImpl::write_task(const StoredTask& t) {
  Query q(db, st.upsert_task);
  GPOC_RETURN_IF_ERROR(q.bind_blob(1, t.task_id));
  GPOC_RETURN_IF_ERROR(q.bind_blob(2, t.spec));
  GPOC_RETURN_IF_ERROR(q.bind_blob(3, t.signature));
  GPOC_RETURN_IF_ERROR(q.bind_i64(4, t.state));
  GPOC_RETURN_IF_ERROR(q.bind_text(5, t.reason));
  GPOC_RETURN_IF_ERROR(q.bind_i64(6, t.submitted_ms));
  GPOC_RETURN_IF_ERROR(q.bind_i64(7, t.finished_ms));
  GPOC_RETURN_IF_ERROR(q.bind_blob(8, t.digest));
  GPOC_RETURN_IF_ERROR(q.bind_u64(9, t.output_bytes));
  GPOC_RETURN_IF_ERROR(q.bind_u64(10, t.ledger_seq));
  GPOC_RETURN_IF_ERROR(q.bind_blob(11, t.status_blob));
  GPOC_RETURN_IF_ERROR(q.run());
  Query in(db, st.upsert_input);
  GPOC_RETURN_IF_ERROR(in.bind_blob(1, t.task_id));
  GPOC_RETURN_IF_ERROR(in.bind_blob(2, t.input));
  return in.run();
}

// The writer connection runs with synchronous=NORMAL (schema.cpp): SQLite syncs the log around
// checkpoints and when it starts the log over, but not at COMMIT. This is the sync that makes a
// COMMIT durable, what synchronous=FULL would do inside it.
Status LedgerImpl::sync_wal() {
  if (read_only) return ok_status();
  std::lock_guard lock(sync_mu);
  if (poisoned.load()) {
    return failed_precondition("ledger " + path.string() +
                               " refuses writes after an I/O error; restart to recover "
                               "from the write-ahead log");
  }
  const auto wal = [&] { return path.string() + "-wal"; };  // named only when needed
  if (wal_fd < 0) {
    wal_fd = ::open(wal().c_str(), O_RDWR | O_CLOEXEC);
    if (wal_fd < 0) {
      // No log yet: nothing has been committed through this connection.
      if (errno == ENOENT) return ok_status();
      std::error_code ec(errno, std::generic_category());
      poisoned = true;
      return data_loss("ledger: cannot open " + wal() + " to sync it: " + ec.message());
    }
    // The log's directory entry must be durable as well as its contents.
    Status dir = sync_directory(std::filesystem::absolute(path).parent_path());
    if (!dir.ok()) {
      poisoned = true;
      return dir;
    }
  }
  if (::fdatasync(wal_fd) != 0) {
    std::error_code ec(errno, std::generic_category());
    // As after a failed commit: the kernel may have dropped the dirty pages, never carry on.
    poisoned = true;
    return data_loss("ledger: fdatasync of " + wal() + " failed: " + ec.message());
  }
  return ok_status();
}

Status LedgerImpl::entries_missing(std::uint64_t seq) const {
  return data_loss("ledger " + path.string() + ": entry " + std::to_string(seq) +
                   " is missing or malformed; run `gpoc ledger verify`");
}

}  // namespace detail
}  // namespace gpoc::ledger
