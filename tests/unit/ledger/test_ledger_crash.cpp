// Crash recovery: a child process commits batches in a loop and is SIGKILLed at seeded random
// moments; every batch it saw acknowledged must be there, whole, and the chain must verify.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ledger_test_util.hpp"

namespace gpoc::ledger::test {
namespace {

TaskId task_for(std::uint64_t seq) {
  std::array<std::uint8_t, 8> le{};
  for (std::size_t i = 0; i < 8; ++i) le[i] = static_cast<std::uint8_t>(seq >> (8 * i));
  return sha256(ByteView(le));
}
const PublicKey kWorker{1, 2, 3};

// Each entry seq finalizes task_for(seq): task row, output and score go in the same batch.
[[noreturn]] void child_commit_loop(const std::filesystem::path& dir, int ack_fd) {
  auto opened = Ledger::open(dir);
  if (!opened.ok()) _exit(2);
  Ledger& l = **opened;
  for (std::uint64_t i = 0; i < 1000000; ++i) {
    Batch b;
    for (std::uint64_t k = 0; k <= i % 4; ++k) {
      b.append("task.commit", Bytes(64 + k, static_cast<std::uint8_t>(i)), 0);
      StoredTask t;
      t.ledger_seq = l.size() + b.appended();
      t.task_id = task_for(t.ledger_seq);
      t.state = 6;
      t.input = Bytes(4096, static_cast<std::uint8_t>(k));
      b.put_task(t);
      b.put_output(t.task_id, Bytes(4096, static_cast<std::uint8_t>(t.ledger_seq)));
      b.set_score(kWorker, t.ledger_seq);
    }
    auto seqs = l.commit(std::move(b));
    if (!seqs.ok()) _exit(3);
    std::uint64_t last = seqs->back();
    if (write(ack_fd, &last, sizeof last) != sizeof last) _exit(4);
  }
  _exit(0);
}

// Reads every acknowledgement the child wrote; returns the last one (or `previous`).
std::uint64_t read_acks(int fd, std::uint64_t previous, int& count) {
  std::uint64_t v = 0;
  while (read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
    previous = v;
    ++count;
  }
  return previous;
}

TEST_F(LedgerTest, KilledWriterLosesNoAcknowledgedBatch) {
  std::mt19937_64 rng(24);
  std::uint64_t acked = 0;
  int acks = 0;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      child_commit_loop(dir_, fds[1]);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 170));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child stopped by itself with status " << status;
    acked = read_acks(fds[0], acked, acks);
    close(fds[0]);

    // `gpoc ledger verify` straight after the crash reads through the left-over WAL. A child
    // killed inside its first open may leave a file without a schema: no ledger yet.
    if (auto ro = Ledger::open(dir_, /*read_only=*/true); ro.ok()) {
      ASSERT_GE((*ro)->size(), acked);
      auto report = (*ro)->verify();
      ASSERT_TRUE(report.ok() && report->ok) << report.status().to_string();
    } else {
      ASSERT_EQ(ro.status().code(), ErrorCode::not_found) << ro.status().to_string();
      ASSERT_EQ(acked, 0u);
    }
    auto l = open_ok();
    ASSERT_TRUE(l);
    ASSERT_GE(l->size(), acked) << "round " << round << ": an acknowledged batch was lost";
    auto report = l->verify();
    ASSERT_TRUE(report.ok()) << report.status().to_string();
    ASSERT_TRUE(report->ok) << report->problem;
    // Whatever reached the log (acknowledged or not) carries its derived state, and nothing more.
    for (std::uint64_t seq = 1; seq <= l->size(); ++seq) {
      auto t = l->task(task_for(seq));
      ASSERT_TRUE(t.ok() && t->has_value()) << "no task row for entry " << seq;
      ASSERT_EQ((*t)->ledger_seq, seq);
      ASSERT_EQ(l->output(task_for(seq))->value(), Bytes(4096, static_cast<std::uint8_t>(seq)));
    }
    EXPECT_FALSE(l->task(task_for(l->size() + 1))->has_value());
    EXPECT_EQ(*l->score(kWorker), l->size());
  }
  EXPECT_GT(acks, 0) << "the child never committed: the test proved nothing";
}

}  // namespace
}  // namespace gpoc::ledger::test
