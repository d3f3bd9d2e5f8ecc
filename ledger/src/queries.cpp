// Reads: entries and the derived state (tasks, outputs, scores).
#include <algorithm>
#include <tuple>

#include "ledger_impl.hpp"

namespace gpoc::ledger {

using detail::Query;
using detail::Stmt;

namespace detail {

// Columns: seq, kind, body, prev_hash, hash, time_ms.
Result<Entry> LedgerImpl::read_entry_row(Query& q) const {
  Entry e;
  e.seq = q.u64(0);
  e.kind = q.text(1);
  e.body = q.blob(2);
  if (!q.blob_into(3, e.prev_hash) || !q.blob_into(4, e.hash)) return entries_missing(e.seq);
  e.time_ms = q.i64(5);
  return e;
}

// Columns as in prepare_statements' kTaskSelect.
Result<std::optional<StoredTask>> LedgerImpl::read_task(Query& q) const {
  StoredTask t;
  bool sized = q.blob_into(0, t.task_id) && q.blob_into(2, t.signature) && q.blob_into(7, t.digest);
  if (!sized) {
    return data_loss("ledger " + path.string() +
                     ": a task row has a malformed id, signature or "
                     "digest");
  }
  t.spec = q.blob(1);
  t.state = static_cast<int>(q.i64(3));
  t.reason = q.text(4);
  t.submitted_ms = q.i64(5);
  t.finished_ms = q.i64(6);
  t.output_bytes = q.u64(8);
  t.ledger_seq = q.u64(9);
  t.status_blob = q.blob(10);
  t.input = q.blob(11);
  return std::optional<StoredTask>(std::move(t));
}

}  // namespace detail

Result<Entry> Ledger::entry(std::uint64_t seq) const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.get_entry);
  GPOC_RETURN_IF_ERROR(q.bind_u64(1, seq));
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) {
    return not_found("ledger " + impl_->path.string() + ": no entry " + std::to_string(seq) +
                     " (size " + std::to_string(impl_->size) + ")");
  }
  return impl_->read_entry_row(q);
}

Status Ledger::for_each_entry(std::uint64_t from_seq,
                              const std::function<bool(const Entry&)>& fn) const {
  std::lock_guard lock(impl_->mu);
  // A statement of its own, not a cached one: fn may call back into this ledger.
  GPOC_ASSIGN_OR_RETURN(Stmt s,
                        Stmt::prepare(impl_->db,
                                      "SELECT seq, kind, body, prev_hash, "
                                      "hash, time_ms FROM entries WHERE seq >= ?1 ORDER BY seq",
                                      "scan entries"));
  Query q(impl_->db, s);
  GPOC_RETURN_IF_ERROR(q.bind_u64(1, std::max<std::uint64_t>(from_seq, 1)));
  ++impl_->iterating;
  struct Leave {
    int& depth;
    ~Leave() { --depth; }
  } leave{impl_->iterating};
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return ok_status();
    GPOC_ASSIGN_OR_RETURN(Entry e, impl_->read_entry_row(q));
    if (!fn(e)) return ok_status();
  }
}

Result<std::optional<StoredTask>> Ledger::task(const TaskId& id) const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.get_task);
  GPOC_RETURN_IF_ERROR(q.bind_blob(1, id));
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return std::optional<StoredTask>();
  return impl_->read_task(q);
}

// Ordered by submission time, then id, so a restarted scheduler re-queues in arrival order.
Result<std::vector<StoredTask>> Ledger::tasks_in_states(const std::vector<int>& states) const {
  std::lock_guard lock(impl_->mu);
  std::vector<int> wanted = states;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<StoredTask> out;
  for (int state : wanted) {
    Query q(impl_->db, impl_->st.tasks_in_state);
    GPOC_RETURN_IF_ERROR(q.bind_i64(1, state));
    for (;;) {
      GPOC_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      GPOC_ASSIGN_OR_RETURN(std::optional<StoredTask> t, impl_->read_task(q));
      out.push_back(std::move(*t));
    }
  }
  std::sort(out.begin(), out.end(), [](const StoredTask& a, const StoredTask& b) {
    return std::tie(a.submitted_ms, a.task_id) < std::tie(b.submitted_ms, b.task_id);
  });
  return out;
}

Result<std::optional<Bytes>> Ledger::output(const TaskId& id) const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.get_output);
  GPOC_RETURN_IF_ERROR(q.bind_blob(1, id));
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return std::optional<Bytes>();
  return std::optional<Bytes>(q.blob(0));
}

Result<std::uint64_t> Ledger::score(const PublicKey& worker) const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.get_score);
  GPOC_RETURN_IF_ERROR(q.bind_blob(1, worker));
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  return row ? q.u64(0) : std::uint64_t{0};
}

Result<std::vector<std::pair<PublicKey, std::uint64_t>>> Ledger::scores() const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.all_scores);
  std::vector<std::pair<PublicKey, std::uint64_t>> out;
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return out;
    PublicKey key{};
    if (!q.blob_into(0, key)) {
      return data_loss("ledger " + impl_->path.string() + ": a score row has a malformed key");
    }
    out.emplace_back(key, q.u64(1));
  }
}

Result<Balance> Ledger::balance(const PublicKey& account) const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.get_balance);
  GPOC_RETURN_IF_ERROR(q.bind_blob(1, account));
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  return row ? Balance{q.u64(0), q.u64(1)} : Balance{};
}

Result<std::vector<std::pair<PublicKey, Balance>>> Ledger::balances() const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.all_balances);
  std::vector<std::pair<PublicKey, Balance>> out;
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return out;
    PublicKey key{};
    if (!q.blob_into(0, key)) {
      return data_loss("ledger " + impl_->path.string() + ": a balance row has a malformed key");
    }
    out.emplace_back(key, Balance{q.u64(1), q.u64(2)});
  }
}

Result<std::vector<std::uint64_t>> Ledger::account_entries(const PublicKey& account,
                                                           std::size_t limit) const {
  std::lock_guard lock(impl_->mu);
  Query q(impl_->db, impl_->st.account_entries);
  GPOC_RETURN_IF_ERROR(q.bind_blob(1, account));
  GPOC_RETURN_IF_ERROR(q.bind_u64(2, std::min<std::size_t>(limit, 1u << 30)));
  std::vector<std::uint64_t> out;
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return out;
    out.push_back(q.u64(0));
  }
}

}  // namespace gpoc::ledger
