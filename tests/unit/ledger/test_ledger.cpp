#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "ledger_test_util.hpp"

namespace gpoc::ledger::test {
namespace {

// The documented layout, built byte by byte and hashed with the stock one-shot SHA-256.
Digest32 reference_hash(const Digest32& prev, std::uint64_t seq, std::string_view kind,
                        ByteView body) {
  Bytes buf(prev.begin(), prev.end());
  for (int i = 0; i < 8; ++i) buf.push_back(static_cast<std::uint8_t>((seq >> (8 * i)) & 0xff));
  buf.push_back(static_cast<std::uint8_t>(kind.size()));
  buf.insert(buf.end(), kind.begin(), kind.end());
  buf.insert(buf.end(), body.begin(), body.end());
  return sha256(buf);
}

TEST(EntryHash, MatchesKnownAnswersFromPythonHashlib) {
  // hashlib.sha256(prev + struct.pack('<Q', seq) + bytes([len(kind)]) + kind + body)
  EXPECT_EQ(to_hex(entry_hash(Digest32{}, 1, "task.commit", as_bytes("hello"))),
            "f03780f906c563e632ff45a51ef7410d5107f84815e101fe2e5f0242c31a7d24");
  Digest32 prev{};
  for (std::size_t i = 0; i < 32; ++i) prev[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(to_hex(entry_hash(prev, 0x0102030405060708ULL, "tree_head", {})),
            "2c701bb3ea7cedf16ab0665204f03cb8f1cb1ce15cec2c9bfbeea10427cf57f1");
}

TEST(EntryHash, MatchesIndependentComputationOfTheLayout) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    Digest32 prev = random_array<32>(rng);
    std::uint64_t seq = rng();
    std::string kind(1 + rng() % kKindBytesMax, 'k');
    Bytes body = random_bytes(rng, rng() % 600);
    ASSERT_EQ(entry_hash(prev, seq, kind, body), reference_hash(prev, seq, kind, body)) << i;
  }
}

TEST_F(LedgerTest, EmptyLedgerHasZeroHeadAndNoEntries) {
  auto l = open_ok();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size(), 0u);
  EXPECT_EQ(l->head_hash(), Digest32{});
  EXPECT_EQ(l->entry(1).status().code(), ErrorCode::not_found);
  auto seqs = l->commit(Batch{});
  ASSERT_TRUE(seqs.ok());
  EXPECT_TRUE(seqs->empty());
  EXPECT_TRUE(std::filesystem::exists(db_path()));
}

TEST_F(LedgerTest, ChainAcrossBatchesSurvivesReopen) {
  std::mt19937_64 rng(11);
  std::vector<Entry> all;
  {
    auto l = open_ok();
    ASSERT_TRUE(l);
    for (std::size_t n : {1, 5, 17, 3, 30, 2, 9, 13}) {
      auto got = append_random(*l, rng, n);
      ASSERT_EQ(got.size(), n);
      for (auto& e : got) {
        ASSERT_EQ(e.seq, all.size() + 1) << "seqs are consecutive across batches";
        e.prev_hash = all.empty() ? Digest32{} : all.back().hash;
        e.hash = reference_hash(e.prev_hash, e.seq, e.kind, e.body);
        all.push_back(e);
      }
      EXPECT_EQ(l->size(), all.size());
      EXPECT_EQ(l->head_hash(), all.back().hash);
    }
  }
  auto l = open_ok();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size(), all.size());
  EXPECT_EQ(l->head_hash(), all.back().hash);
  for (const Entry& e : all) {
    auto got = l->entry(e.seq);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(*got, e) << "entry " << e.seq;
  }
  std::vector<Entry> scanned;
  ASSERT_TRUE(l->for_each_entry(0, [&](const Entry& e) {
                 scanned.push_back(e);
                 return true;
               }).ok());
  EXPECT_EQ(scanned, all);
  scanned.clear();
  ASSERT_TRUE(l->for_each_entry(40, [&](const Entry& e) {
                 scanned.push_back(e);
                 return scanned.size() < 5;
               }).ok());
  ASSERT_EQ(scanned.size(), 5u);
  EXPECT_EQ(scanned.front(), all[39]);
  EXPECT_EQ(scanned.back(), all[43]);
  EXPECT_EQ(l->entry(0).status().code(), ErrorCode::not_found);
  EXPECT_EQ(l->entry(all.size() + 1).status().code(), ErrorCode::not_found);
  // The next batch chains onto the reloaded head.
  auto more = append_random(*l, rng, 2);
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].seq, all.size() + 1);
  EXPECT_EQ(l->entry(more[0].seq)->prev_hash, all.back().hash);
}

TEST_F(LedgerTest, ForEachEntryMayReadButNotCommit) {
  std::mt19937_64 rng(12);
  auto l = open_ok();
  ASSERT_TRUE(l);
  append_random(*l, rng, 4);
  int visited = 0;
  Status inner_commit;
  ASSERT_TRUE(l->for_each_entry(1, [&](const Entry& e) {
                 auto again = l->entry(e.seq);  // re-entrant read
                 EXPECT_TRUE(again.ok() && *again == e);
                 Batch b;
                 b.append("task.commit", {1}, 0);
                 inner_commit = l->commit(std::move(b)).status();
                 return ++visited < 2;
               }).ok());
  EXPECT_EQ(visited, 2);
  EXPECT_EQ(inner_commit.code(), ErrorCode::failed_precondition);
  EXPECT_EQ(l->size(), 4u);
}

TEST_F(LedgerTest, DerivedStateRoundTripsAndIsWrittenWithEntries) {
  std::mt19937_64 rng(13);
  StoredTask a = random_task(rng, 6), b = random_task(rng, 2);
  a.ledger_seq = 1;
  Bytes big = random_bytes(rng, 20u << 20);  // many overflow pages
  PublicKey w1 = random_array<32>(rng), w2 = random_array<32>(rng);
  {
    auto l = open_ok();
    ASSERT_TRUE(l);
    Batch batch;
    batch.append("task.commit", {1, 2, 3}, 5);
    batch.put_output(a.task_id, big);  // before its task: foreign keys are checked at commit
    batch.put_task(a);
    batch.put_task(b);
    batch.put_output(b.task_id, {});
    batch.set_score(w1, 7);
    batch.set_score(w2, std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(batch.appended(), 1u);
    ASSERT_TRUE(l->commit(std::move(batch)).ok());
  }
  auto l = open_ok();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->task(a.task_id)->value(), a);
  EXPECT_EQ(l->task(b.task_id)->value(), b);
  EXPECT_FALSE(l->task(random_array<32>(rng))->has_value());
  EXPECT_EQ(l->output(a.task_id)->value(), big);
  EXPECT_EQ(l->output(b.task_id)->value(), Bytes{});
  EXPECT_FALSE(l->output(random_array<32>(rng))->has_value());
  EXPECT_EQ(*l->score(w1), 7u);
  EXPECT_EQ(*l->score(w2), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(*l->score(random_array<32>(rng)), 0u);
  auto all = l->scores();
  ASSERT_TRUE(all.ok());
  std::vector<std::pair<PublicKey, std::uint64_t>> want = {
      {w1, 7}, {w2, std::numeric_limits<std::uint64_t>::max()}};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(*all, want);

  // Replacing: a state change keeping the input, then a new input; scores overwrite.
  b.state = 7;
  b.reason = "no consensus";
  b.ledger_seq = 2;
  Batch change;
  change.append("task.fail", {9}, 6);
  change.put_task(b);
  change.set_score(w1, 3);
  ASSERT_TRUE(l->commit(std::move(change)).ok());
  EXPECT_EQ(l->task(b.task_id)->value(), b);
  b.input = random_bytes(rng, 77);
  Batch change2;
  change2.put_task(b);
  ASSERT_TRUE(l->commit(std::move(change2)).ok());
  EXPECT_EQ(l->task(b.task_id)->value().input, b.input);
  StoredTask slim = b;  // a state update without the input keeps the stored one
  slim.input.clear();
  slim.state = 6;
  Batch change3;
  change3.put_task(slim);
  ASSERT_TRUE(l->commit(std::move(change3)).ok());
  EXPECT_EQ(l->task(b.task_id)->value().state, 6);
  EXPECT_EQ(l->task(b.task_id)->value().input, b.input);
  StoredTask fresh = random_task(rng, 2);  // a new task may have an empty input
  fresh.input.clear();
  Batch change4;
  change4.put_task(fresh);
  ASSERT_TRUE(l->commit(std::move(change4)).ok());
  EXPECT_EQ(l->task(fresh.task_id)->value(), fresh);
  EXPECT_EQ(*l->score(w1), 3u);
}

TEST_F(LedgerTest, TasksInStatesFilters) {
  std::mt19937_64 rng(14);
  auto l = open_ok();
  ASSERT_TRUE(l);
  std::vector<StoredTask> tasks;
  Batch batch;
  for (int i = 0; i < 40; ++i) {
    tasks.push_back(random_task(rng, 2 + static_cast<int>(rng() % 6)));
    batch.put_task(tasks.back());
  }
  ASSERT_TRUE(l->commit(std::move(batch)).ok());
  auto expect_states = [&](std::vector<int> states) -> std::size_t {
    std::vector<StoredTask> want;
    for (const auto& t : tasks) {
      if (std::find(states.begin(), states.end(), t.state) != states.end()) want.push_back(t);
    }
    std::sort(want.begin(), want.end(), [](const StoredTask& x, const StoredTask& y) {
      return std::tie(x.submitted_ms, x.task_id) < std::tie(y.submitted_ms, y.task_id);
    });
    auto got = l->tasks_in_states(states);
    if (!got.ok()) {
      ADD_FAILURE() << got.status().to_string();
      return SIZE_MAX;
    }
    EXPECT_EQ(*got, want);
    return want.size();
  };
  std::size_t pending = expect_states({2, 3});
  EXPECT_GT(pending, 0u);
  EXPECT_LT(pending, tasks.size());
  EXPECT_EQ(expect_states({2, 3, 4, 5, 6, 7}), tasks.size());
  expect_states({7, 7, 6});
  EXPECT_EQ(expect_states({}), 0u);
  EXPECT_EQ(expect_states({99}), 0u);
  // Moving every task to 7 empties the other states.
  Batch fail_all;
  for (auto& t : tasks) {
    t.state = 7;
    fail_all.put_task(t);
  }
  ASSERT_TRUE(l->commit(std::move(fail_all)).ok());
  EXPECT_EQ(expect_states({2, 3, 4, 5, 6}), 0u);
  EXPECT_EQ(expect_states({7}), tasks.size());
}

TEST_F(LedgerTest, BatchFailingAtCommitAppliesNothing) {
  std::mt19937_64 rng(15);
  auto l = open_ok();
  ASSERT_TRUE(l);
  append_random(*l, rng, 3);
  const auto size = l->size();
  const auto head = l->head_hash();
  StoredTask t = random_task(rng, 6);
  PublicKey w = random_array<32>(rng);
  Batch bad;
  bad.append("task.commit", {1}, 1);
  bad.put_task(t);
  bad.set_score(w, 5);
  bad.append("task.commit", {2}, 1);
  bad.put_output(random_array<32>(rng), {4, 5});  // no such task: the deferred FK fails COMMIT
  auto r = l->commit(std::move(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::failed_precondition) << r.status().to_string();
  EXPECT_NE(r.status().message().find(db_path().string()), std::string::npos);
  auto unchanged = [&](Ledger& lg) {
    EXPECT_EQ(lg.size(), size);
    EXPECT_EQ(lg.head_hash(), head);
    EXPECT_EQ(lg.entry(size + 1).status().code(), ErrorCode::not_found);
    EXPECT_FALSE(lg.task(t.task_id)->has_value());
    EXPECT_EQ(*lg.score(w), 0u);
  };
  unchanged(*l);
  l.reset();
  l = open_ok();
  ASSERT_TRUE(l);
  unchanged(*l);
  // The ledger keeps working and chains onto the unchanged head.
  auto next = append_random(*l, rng, 2);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].seq, size + 1);
  EXPECT_EQ(l->entry(size + 1)->prev_hash, head);
  EXPECT_TRUE(l->verify()->ok);
}

TEST_F(LedgerTest, BatchFailingMidwayAppliesNothing) {
  std::mt19937_64 rng(16);
  auto l = open_ok();
  ASSERT_TRUE(l);
  append_random(*l, rng, 5);
  const auto head = l->head_hash();
  const auto root = *l->tree_root(5);
  {
    RawDb raw(db_path());  // fail the insert of the batch's second entry (seq 7)
    ASSERT_EQ(raw.exec("CREATE TRIGGER inject BEFORE INSERT ON entries WHEN NEW.seq = 7 "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"),
              SQLITE_OK);
  }
  StoredTask t = random_task(rng, 6);
  PublicKey w = random_array<32>(rng);
  auto make = [&] {
    Batch b;
    b.put_task(t);
    b.append("task.commit", {1}, 1);
    b.set_score(w, 9);
    b.append("task.commit", {2}, 1);
    b.append("task.commit", {3}, 1);
    b.put_output(t.task_id, {7});
    return b;
  };
  auto r = l->commit(make());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("injected failure"), std::string::npos)
      << r.status().to_string();
  EXPECT_EQ(l->size(), 5u);
  EXPECT_EQ(l->head_hash(), head);
  EXPECT_EQ(*l->tree_root(5), root);
  EXPECT_EQ(l->entry(6).status().code(), ErrorCode::not_found);
  EXPECT_FALSE(l->task(t.task_id)->has_value());
  EXPECT_FALSE(l->output(t.task_id)->has_value());
  EXPECT_EQ(*l->score(w), 0u);
  {
    RawDb raw(db_path());
    ASSERT_EQ(raw.exec("DROP TRIGGER inject"), SQLITE_OK);
  }
  auto ok = l->commit(make());
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(*ok, (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_TRUE(l->task(t.task_id)->has_value());
  EXPECT_EQ(*l->score(w), 9u);
  EXPECT_TRUE(l->verify()->ok);
}

TEST_F(LedgerTest, InvalidBatchesAreRejectedBeforeWriting) {
  std::mt19937_64 rng(17);
  auto l = open_ok();
  ASSERT_TRUE(l);
  append_random(*l, rng, 2);
  const auto head = l->head_hash();
  auto attempt = [&](std::string kind, Bytes body) {
    Batch b;
    b.append("task.commit", {1}, 0);  // a good entry first: it must not survive either
    b.append(std::move(kind), std::move(body), 0);
    return l->commit(std::move(b)).status().code();
  };
  EXPECT_EQ(attempt("", {}), ErrorCode::invalid_argument);
  EXPECT_EQ(attempt(std::string(kKindBytesMax + 1, 'a'), {}), ErrorCode::invalid_argument);
  EXPECT_EQ(attempt("task commit", {}), ErrorCode::invalid_argument);
  EXPECT_EQ(attempt("t\xc3\xa4sk", {}), ErrorCode::invalid_argument);
  EXPECT_EQ(attempt("task.commit", Bytes(kEntryBodyBytesMax + 1)), ErrorCode::resource_exhausted);
  EXPECT_EQ(attempt(std::string(kKindBytesMax, 'a'), {}), ErrorCode::ok);
  StoredTask t = random_task(rng, 6);
  t.ledger_seq = l->size() + 2;  // the batch appends only one entry
  Batch b;
  b.append("task.commit", {1}, 0);
  b.put_task(t);
  EXPECT_EQ(l->commit(std::move(b)).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(l->size(), 4u);
  EXPECT_NE(l->head_hash(), head);
  EXPECT_FALSE(l->task(t.task_id)->has_value());
}

TEST_F(LedgerTest, ReadOnlyOpenOfMissingDirFailsWithoutCreatingIt) {
  auto l = Ledger::open(dir_, /*read_only=*/true);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), ErrorCode::not_found);
  EXPECT_NE(l.status().message().find(dir_.string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_));
  std::filesystem::create_directories(dir_);  // an existing dir without a database
  EXPECT_EQ(Ledger::open(dir_, true).status().code(), ErrorCode::not_found);
  EXPECT_FALSE(std::filesystem::exists(db_path()));
  { RawDb empty(db_path()); }  // a file a writer created but died before initializing
  ASSERT_TRUE(std::filesystem::exists(db_path()));
  EXPECT_EQ(Ledger::open(dir_, true).status().code(), ErrorCode::not_found);
  EXPECT_TRUE(open_ok());  // the writer's next open initializes it
}

TEST_F(LedgerTest, ReadOnlyOpenReadsAlongsideAWriterAndRefusesWrites) {
  std::mt19937_64 rng(18);
  auto writer = open_ok();
  ASSERT_TRUE(writer);
  append_random(*writer, rng, 6);
  auto reader = open_ok(/*read_only=*/true);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), 6u);
  EXPECT_EQ(reader->head_hash(), writer->head_hash());
  EXPECT_EQ(*reader->entry(3), *writer->entry(3));
  auto report = reader->verify();
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_TRUE(report->ok);
  Batch b;
  b.append("task.commit", {1}, 0);
  EXPECT_EQ(reader->commit(std::move(b)).status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(writer->size(), 6u);
  append_random(*writer, rng, 1);  // the writer is not blocked by the reader
  EXPECT_EQ(writer->size(), 7u);
}

// The two halves of a commit, as the scheduler's pipelined writer uses them: a batch is visible
// to readers once commit_unsynced returns; sync makes it durable, and a sync with nothing new
// (or on a read-only ledger) is harmless.
TEST_F(LedgerTest, CommitUnsyncedIsReadableAndSyncCompletesIt) {
  auto writer = open_ok();
  ASSERT_TRUE(writer);
  EXPECT_TRUE(writer->sync().ok()) << "nothing committed yet";
  Batch b;
  b.append("task.commit", {1, 2, 3}, 7);
  auto seqs = writer->commit_unsynced(std::move(b));
  ASSERT_TRUE(seqs.ok()) << seqs.status().to_string();
  EXPECT_EQ(*seqs, std::vector<std::uint64_t>{1});
  auto reader = open_ok(/*read_only=*/true);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), 1u);
  EXPECT_EQ(reader->entry(1)->body, (Bytes{1, 2, 3}));
  ASSERT_TRUE(writer->sync().ok());
  EXPECT_TRUE(writer->sync().ok());
  EXPECT_TRUE(reader->sync().ok());
  Batch refused;
  refused.append("task.commit", {4}, 0);
  EXPECT_EQ(reader->commit_unsynced(std::move(refused)).status().code(),
            ErrorCode::failed_precondition);
  const Digest32 head = writer->head_hash();
  writer.reset();
  reader.reset();
  auto again = open_ok();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 1u);
  EXPECT_EQ(again->head_hash(), head);
}

// A sync thread beside a committing thread, as the scheduler runs them (also under TSan).
TEST_F(LedgerTest, SyncRunsBesideCommits) {
  auto l = open_ok();
  ASSERT_TRUE(l);
  std::atomic<bool> stop{false};
  std::atomic<int> syncs{0};
  Status sync_status;
  std::thread syncer([&] {
    while (!stop.load()) {
      sync_status = l->sync();
      if (!sync_status.ok()) return;
      syncs.fetch_add(1);
    }
  });
  constexpr int kBatches = 300;
  int committed = 0;
  for (int i = 0; i < kBatches; ++i) {
    Batch b;
    b.append("task.commit", Bytes(100 + i % 7, static_cast<std::uint8_t>(i)), i);
    auto r = l->commit_unsynced(std::move(b));
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) break;
    ++committed;
  }
  stop = true;
  syncer.join();
  ASSERT_TRUE(sync_status.ok()) << sync_status.to_string();
  EXPECT_GT(syncs.load(), 0);
  ASSERT_TRUE(l->sync().ok());
  EXPECT_EQ(committed, kBatches);
  EXPECT_EQ(l->size(), static_cast<std::uint64_t>(kBatches));
  auto report = l->verify();
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(LedgerTest, SecondWriterCannotForkTheChain) {
  std::mt19937_64 rng(19);
  auto a = open_ok();
  auto b = open_ok();
  ASSERT_TRUE(a && b);
  append_random(*a, rng, 3);
  Batch batch;
  batch.append("task.commit", {1}, 0);
  auto r = b->commit(std::move(batch));  // b still believes the ledger is empty
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::failed_precondition) << r.status().to_string();
  // A batch without entries cannot collide on seq; the head check still refuses it.
  Batch tasks_only;
  StoredTask t = random_task(rng, 2);
  tasks_only.put_task(t);
  EXPECT_EQ(b->commit(std::move(tasks_only)).status().code(), ErrorCode::failed_precondition);
  EXPECT_FALSE(a->task(t.task_id)->has_value());
  EXPECT_EQ(a->size(), 3u);
  auto report = a->verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, 3u);
}

TEST_F(LedgerTest, TreeRootsAndInclusionProofsMatchRfc6962) {
  std::mt19937_64 rng(20);
  auto l = open_ok();
  ASSERT_TRUE(l);
  EXPECT_EQ(*l->tree_root(0), merkle_root_of_leaves({}));
  std::vector<Digest32> leaves;
  for (std::size_t n : {1, 2, 5, 8, 13, 8}) {
    for (const auto& e : append_random(*l, rng, n)) leaves.push_back(l->entry(e.seq)->hash);
    // The cached frontier for the current size follows every commit.
    ASSERT_EQ(*l->tree_root(l->size()), merkle_root_of_leaves(leaves)) << leaves.size();
  }
  ASSERT_EQ(leaves.size(), 37u);
  for (std::uint64_t size = 0; size <= leaves.size(); ++size) {
    std::vector<Digest32> prefix(leaves.begin(), leaves.begin() + static_cast<long>(size));
    auto root = l->tree_root(size);
    ASSERT_TRUE(root.ok()) << root.status().to_string();
    ASSERT_EQ(*root, merkle_root_of_leaves(prefix)) << "size " << size;
    for (std::uint64_t seq = 1; seq <= size; ++seq) {
      auto proof = l->inclusion_proof(seq, size);
      ASSERT_TRUE(proof.ok()) << proof.status().to_string();
      ASSERT_EQ(*proof, merkle_inclusion_proof(prefix, seq - 1)) << seq << "/" << size;
      ASSERT_TRUE(merkle_verify_inclusion(leaves[seq - 1], seq - 1, size, *proof, *root));
      if (size > 1) {  // the proof is for this leaf only
        ASSERT_FALSE(merkle_verify_inclusion(leaves[seq % size], seq - 1, size, *proof, *root));
      }
    }
  }
  EXPECT_EQ(l->tree_root(38).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(l->inclusion_proof(0, 5).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(l->inclusion_proof(6, 5).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(l->inclusion_proof(1, 38).status().code(), ErrorCode::invalid_argument);
  // Reopened, the root is rebuilt from disk and agrees.
  l.reset();
  l = open_ok(true);
  ASSERT_TRUE(l);
  EXPECT_EQ(*l->tree_root(37), merkle_root_of_leaves(leaves));
}

// An auditor reading a live ledger sees one moment: commits made meanwhile stay out of its view
// until the snapshot ends, so verify() never finds a head that moved under it.
TEST_F(LedgerTest, SnapshotIsolatesAnAuditFromConcurrentCommits) {
  std::mt19937_64 rng(19);
  auto writer = open_ok();
  ASSERT_TRUE(writer);
  append_random(*writer, rng, 5);
  auto reader = open_ok(/*read_only=*/true);
  ASSERT_TRUE(reader);
  std::uint64_t before = 0, during = 0;
  Status s = reader->with_snapshot([&]() -> Status {
    auto r1 = reader->verify();
    if (!r1.ok()) return r1.status();
    before = r1->entries;
    append_random(*writer, rng, 3);  // the pool keeps committing
    auto r2 = reader->verify();
    if (!r2.ok()) return r2.status();
    during = r2->entries;
    EXPECT_TRUE(r2->ok) << r2->problem;
    return ok_status();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(before, 5u);
  EXPECT_EQ(during, 5u);
  auto after = reader->verify();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok) << after->problem;
  EXPECT_EQ(after->entries, 8u);
}

}  // namespace
}  // namespace gpoc::ledger::test

namespace gpoc::ledger::test {
namespace {

TEST_F(LedgerTest, BalancesAndAccountHistoryPersist) {
  std::mt19937_64 rng(21);
  PublicKey a = random_array<32>(rng), b = random_array<32>(rng);
  {
    auto l = open_ok();
    ASSERT_TRUE(l);
    Batch batch;
    batch.set_balance(a, {7, 0});  // before any entry of the batch: not indexed
    batch.append("account.mint", {1}, 1);
    batch.set_balance(a, {100, 0});
    batch.append("task.accept", {2}, 2);
    batch.set_balance(a, {60, 40});
    batch.set_balance(b, {5, 0});
    ASSERT_TRUE(l->commit(std::move(batch)).ok());
    Batch next;
    next.append("task.commit", {3}, 3);
    next.set_balance(b, {});  // back to zero: the row goes, the history stays
    ASSERT_TRUE(l->commit(std::move(next)).ok());
  }
  auto l = open_ok();
  ASSERT_TRUE(l);
  EXPECT_EQ(*l->balance(a), (Balance{60, 40}));
  EXPECT_EQ(*l->balance(b), Balance{});
  auto all = l->balances();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().first, a);
  EXPECT_EQ(*l->account_entries(a, 10), (std::vector<std::uint64_t>{2, 1}));
  EXPECT_EQ(*l->account_entries(a, 1), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(*l->account_entries(b, 10), (std::vector<std::uint64_t>{3, 2}));
}

TEST_F(LedgerTest, BalanceAboveTheSupplyLimitIsRefused) {
  auto l = open_ok();
  ASSERT_TRUE(l);
  Batch batch;
  batch.append("account.mint", {1}, 1);
  batch.set_balance(PublicKey{1}, {kSupplyMax + 1, 0});
  EXPECT_EQ(l->commit(std::move(batch)).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(l->size(), 0u);
}

}  // namespace
}  // namespace gpoc::ledger::test
