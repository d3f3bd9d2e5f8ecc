// The Ledger's private state, shared by the files that implement it: the connection, the cached
// statements, the in-memory head and the lock that serializes every call.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "frontier.hpp"
#include "gpoc/ledger/ledger.hpp"
#include "sqlite.hpp"

namespace gpoc::ledger::detail {

// Prepared once at open and reused for every call (the commit path is hot).
struct Statements {
  Stmt begin, commit, rollback;
  Stmt insert_entry, upsert_task, upsert_input, upsert_output, upsert_score, advance_head;
  Stmt get_entry, get_task, tasks_in_state, get_output, get_score, all_scores, entry_hashes;
  Stmt upsert_balance, delete_balance, index_account, get_balance, all_balances, account_entries;
};

struct LedgerImpl {
  Db db;
  std::filesystem::path path;
  bool read_only = false;
  Statements st;
  std::uint64_t size = 0;
  Digest32 head{};
  // Merkle frontier of the whole log, built on the first tree_root(size) and then kept up to
  // date by commit, so a periodic signed tree head costs O(log n) instead of a full scan.
  std::optional<Frontier> frontier;
  std::atomic<bool> poisoned{false};  // an I/O error hit a write: refuse writes until reopened
  // sync(): its own descriptor of the write-ahead log, opened on first use. fdatasync acts on
  // the file, whichever descriptor wrote it, so it needs none of SQLite's state.
  std::mutex sync_mu;
  int wal_fd = -1;
  int iterating = 0;  // for_each_entry depth: commits from inside fn are refused
  mutable std::recursive_mutex mu;

  Status prepare_statements();
  Status load_head();
  Result<std::vector<std::uint64_t>> commit(std::vector<BatchOp>& ops, std::size_t appended);
  Status apply(std::vector<BatchOp>& ops, std::vector<std::uint64_t>& seqs, Digest32& head_out,
               std::optional<Frontier>& frontier_out);
  Status write_task(const StoredTask& t);
  Status sync_wal();
  Status validate(const std::vector<BatchOp>& ops, std::size_t appended) const;
  Status entries_missing(std::uint64_t seq) const;
  Result<std::optional<StoredTask>> read_task(Query& q) const;
  // Streams the hashes of entries [begin, end) into a Merkle frontier (its root() is their MTH).
  Result<Frontier> range_frontier(std::uint64_t begin, std::uint64_t end);
  Status audit_path(std::uint64_t begin, std::uint64_t end, std::uint64_t m,
                    std::vector<Digest32>& out);
  Result<Entry> read_entry_row(Query& q) const;
};

Status configure(const Db& db, bool read_only);
Status ensure_schema(const Db& db, bool read_only);
bool valid_kind(std::string_view kind);

}  // namespace gpoc::ledger::detail
