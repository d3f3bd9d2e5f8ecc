// Auditing: chain verification, Merkle tree heads and inclusion proofs over entry hashes.
#include <string>

#include <sqlite3.h>

#include "ledger_impl.hpp"

namespace gpoc::ledger {

using detail::Frontier;
using detail::Query;
using detail::Stmt;

namespace {

void fail(VerifyReport& r, std::uint64_t seq, const std::string& what) {
  r.ok = false;
  r.first_bad_seq = seq;
  r.problem = "entry " + std::to_string(seq) + ": " + what;
}

// Structural damage (a torn page, garbage) is SQLite's to find; the chain walk cannot see it in
// tables it does not read.
Status integrity_check(const detail::Db& db) {
  GPOC_ASSIGN_OR_RETURN(Stmt s, Stmt::prepare(db, "PRAGMA quick_check", "integrity check"));
  Query q(db, s);
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  std::string problems;
  for (int i = 0; row && i < 4; ++i) {  // the first few lines say enough
    std::string line = q.text(0);
    if (line == "ok") return ok_status();
    problems += (problems.empty() ? "" : "; ") + line;
    GPOC_ASSIGN_OR_RETURN(row, q.step());
  }
  return data_loss("ledger " + db.path() + " fails SQLite's integrity check: " + problems);
}

// Walks every entry from seq 1, stopping at the first that is missing, malformed, not linked to
// its predecessor, or whose hash does not match its contents.
Status walk_chain(const detail::Db& db, VerifyReport& r) {
  GPOC_ASSIGN_OR_RETURN(Stmt s, Stmt::prepare(db,
                                              "SELECT seq, kind, body, prev_hash, hash "
                                              "FROM entries ORDER BY seq",
                                              "scan entries"));
  Query q(db, s);
  std::uint64_t expected = 1;
  Digest32 prev{};
  for (;;) {
    GPOC_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    const std::int64_t seq = q.i64(0);
    const std::string kind = q.text(1);
    Digest32 p{}, h{};
    if (seq < 1 || static_cast<std::uint64_t>(seq) < expected) {
      fail(r, expected, "a row is stored with the invalid seq " + std::to_string(seq));
    } else if (static_cast<std::uint64_t>(seq) != expected) {
      fail(r, expected, "missing");
    } else if (!q.blob_into(3, p) || !q.blob_into(4, h)) {
      fail(r, expected, "prev_hash or hash is not 32 bytes");
    } else if (!detail::valid_kind(kind)) {
      fail(r, expected, "kind is not 1..64 printable ASCII characters");
    } else if (p != prev) {
      fail(r, expected,
           expected == 1
               ? "prev_hash of the first entry is not zero"
               : "prev_hash does not match the hash of entry " + std::to_string(expected - 1));
    } else if (entry_hash(p, expected, kind, q.blob(2)) != h) {
      fail(r, expected, "hash does not match its contents");
    }
    if (!r.ok) break;
    prev = h;
    ++expected;
  }
  r.entries = expected - 1;
  r.head = prev;
  return ok_status();
}

// The head row is written in the same transaction as the entries, so a tail cut off or
// appended behind the ledger's back shows up here even though the chain itself looks fine.
Status check_recorded_head(const detail::Db& db, VerifyReport& r) {
  GPOC_ASSIGN_OR_RETURN(
      Stmt s, Stmt::prepare(db, "SELECT size, hash FROM head WHERE id = 1", "read recorded head"));
  Query q(db, s);
  GPOC_ASSIGN_OR_RETURN(bool row, q.step());
  Digest32 hash{};
  if (!row || !q.blob_into(1, hash)) {
    r.ok = false;
    r.problem = "the recorded head is missing or malformed";
    return ok_status();
  }
  const std::uint64_t size = q.u64(0);
  const std::string recorded = " (the recorded head has " + std::to_string(size) + " entries)";
  if (size > r.entries) {
    fail(r, r.entries + 1, "missing" + recorded);
  } else if (size < r.entries) {
    fail(r, size + 1, "beyond the recorded head" + recorded);
  } else if (hash != r.head) {
    r.ok = false;
    r.problem = "the recorded head hash differs from the hash of the last entry";
    if (size > 0) r.first_bad_seq = size;
  }
  return ok_status();
}

}  // namespace

Status Ledger::with_snapshot(const std::function<Status()>& fn) const {
  std::lock_guard lock(impl_->mu);
  if (sqlite3_get_autocommit(impl_->db.get()) == 0) return fn();  // already inside one
  GPOC_RETURN_IF_ERROR(impl_->db.exec("BEGIN DEFERRED; SELECT count(*) FROM entries;"));
  Status s = fn();
  Status end = impl_->db.exec(s.ok() ? "COMMIT" : "ROLLBACK");
  return s.ok() ? end : s;
}

// The chain walk and the recorded-head check read one snapshot: a scheduler committing meanwhile
// must not make a good ledger look cut short.
Result<VerifyReport> Ledger::verify() const {
  VerifyReport r;
  GPOC_RETURN_IF_ERROR(with_snapshot([&]() -> Status {
    GPOC_RETURN_IF_ERROR(integrity_check(impl_->db));
    GPOC_RETURN_IF_ERROR(walk_chain(impl_->db, r));
    if (r.ok) GPOC_RETURN_IF_ERROR(check_recorded_head(impl_->db, r));
    return ok_status();
  }));
  return r;
}

Result<Digest32> Ledger::tree_root(std::uint64_t size) const {
  std::lock_guard lock(impl_->mu);
  auto& impl = *impl_;
  if (size > impl.size) {
    return invalid_argument("ledger " + impl.path.string() + ": tree size " + std::to_string(size) +
                            " exceeds the " + std::to_string(impl.size) + " entries");
  }
  if (size < impl.size) {
    GPOC_ASSIGN_OR_RETURN(Frontier f, impl.range_frontier(1, size + 1));
    return f.root();
  }
  if (!impl.frontier) {
    GPOC_ASSIGN_OR_RETURN(impl.frontier, impl.range_frontier(1, size + 1));
  }
  return impl.frontier->root();
}

Result<std::vector<Digest32>> Ledger::inclusion_proof(std::uint64_t seq, std::uint64_t size) const {
  std::lock_guard lock(impl_->mu);
  if (seq == 0 || seq > size || size > impl_->size) {
    return invalid_argument("ledger " + impl_->path.string() + ": no inclusion proof of entry " +
                            std::to_string(seq) + " in a tree of " + std::to_string(size) +
                            " (the ledger has " + std::to_string(impl_->size) + ")");
  }
  std::vector<Digest32> proof;
  GPOC_RETURN_IF_ERROR(impl_->audit_path(1, size + 1, seq, proof));
  return proof;
}

namespace detail {

Result<Frontier> LedgerImpl::range_frontier(std::uint64_t begin, std::uint64_t end) {
  Query q(db, st.entry_hashes);
  GPOC_RETURN_IF_ERROR(q.bind_u64(1, begin));
  GPOC_RETURN_IF_ERROR(q.bind_u64(2, end));
  Frontier f;
  for (std::uint64_t expected = begin; expected < end; ++expected) {
    GPOC_ASSIGN_OR_RETURN(bool row, q.step());
    Digest32 hash{};
    if (!row || q.u64(0) != expected || !q.blob_into(1, hash)) return entries_missing(expected);
    f.push(hash);
  }
  return f;
}

// RFC 6962 PATH(m, D[begin:end]) over seqs, sibling subtrees streamed from the database: O(n)
// reads but O(log n) memory, so a proof in a huge ledger does not load every hash at once.
Status LedgerImpl::audit_path(std::uint64_t begin, std::uint64_t end, std::uint64_t m,
                              std::vector<Digest32>& out) {
  const std::uint64_t n = end - begin;
  if (n <= 1) return ok_status();
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  const bool left = m < begin + k;
  GPOC_RETURN_IF_ERROR(left ? audit_path(begin, begin + k, m, out)
                            : audit_path(begin + k, end, m, out));
  GPOC_ASSIGN_OR_RETURN(Frontier sibling,
                        left ? range_frontier(begin + k, end) : range_frontier(begin, begin + k));
  out.push_back(sibling.root());
  return ok_status();
}

}  // namespace detail
}  // namespace gpoc::ledger
