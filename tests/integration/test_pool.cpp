#include <signal.h>

#include <chrono>
#include <thread>

#include <zmq.hpp>

#include "gpoc/common/hex.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "gpoc/ledger/ledger.hpp"
#include "gpoc/transport/envelope.hpp"
#include "gpoc/verifier/records.hpp"
#include "pool_fixture.hpp"

namespace gpoc::testing {
namespace {

using namespace std::chrono_literals;

Bytes expected_output(const client::SubmitOptions& o, const Bytes& input) {
  auto out = kernels::make_cpu_backend()->run(o.kernel, 1, o.params, input);
  EXPECT_TRUE(out.ok());
  return out->data;
}

client::SubmitOptions sha_task(std::uint64_t trust, std::uint32_t replicas = 1) {
  client::SubmitOptions o;
  o.kernel = "sha256";
  o.params = {{"record_bytes", "64"}};
  o.trust = trust;
  o.min_replicas = replicas;
  return o;
}

int count_outcome(const wire::TaskStatus& st, bool winner) {
  int n = 0;
  for (const auto& r : st.replicas())
    n += (!r.result_hash().empty() && r.winner() == winner) ? 1 : 0;
  return n;
}

// Replication of both kernels, so certificates are off: sort_u32 would otherwise be certified.
TEST_F(PoolTest, TasksOfBothKernelsCommitWithThreeWorkers) {
  scheduler_extra_ = {"--certificates", "off"};
  start_scheduler();
  for (int i = 1; i <= 3; ++i) start_worker(i);
  client::SubmitOptions sha = sha_task(5);  // trust 5: three agreeing fresh workers
  Bytes sha_input = random_bytes(64 * 1000, 1);
  client::SubmitOptions sort;
  sort.kernel = "sort_u32";
  sort.trust = 5;
  Bytes sort_input = random_bytes(4 * 50'001, 2);
  for (auto [opts, input] : {std::pair{sha, sha_input}, std::pair{sort, sort_input}}) {
    auto t = prepare(opts, input);
    ASSERT_TRUE(requester().submit(t).ok());
    auto st = requester().wait(t.task_id, 20'000);
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    ASSERT_EQ(st->state(), wire::TASK_COMPLETED) << st->reason();
    EXPECT_EQ(count_outcome(*st, true), 3);
    auto out = requester().fetch_result(t.task_id);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(*out, expected_output(opts, input));
  }
  EXPECT_EQ(ledger_verify(), 0) << log_of("verify");
}

client::SubmitOptions sort_task(std::uint64_t trust) {
  client::SubmitOptions o;
  o.kernel = "sort_u32";
  o.trust = trust;
  return o;
}

// Trust 5 asks three agreeing fresh workers of replication; the certificate (order and multiset
// fingerprint) gives far more than log2(5) bits on one worker's output, so one replica commits.
TEST_F(PoolTest, CertifiedSortCommitsWithOneWorkersResult) {
  start_scheduler();
  for (int i = 1; i <= 3; ++i) start_worker(i);
  client::SubmitOptions o = sort_task(5);
  Bytes input = random_bytes(4 * 50'001, 2);
  auto t = prepare(o, input);
  ASSERT_TRUE(requester().submit(t).ok());
  auto waited = requester().wait(t.task_id, 20'000);
  ASSERT_TRUE(waited.ok()) << waited.status().to_string();
  const wire::TaskStatus& st = *waited;
  ASSERT_EQ(st.state(), wire::TASK_COMPLETED) << st.reason();
  EXPECT_EQ(st.replicas_size(), 1);
  EXPECT_EQ(count_outcome(st, true), 1);
  ASSERT_TRUE(st.has_certificate());
  EXPECT_EQ(st.certificate().method(), "sorted+fingerprint");
  EXPECT_TRUE(st.certificate().decisive());
  EXPECT_GE(st.certificate().rounds(), 1u);
  EXPECT_GE(st.certificate().bound_bits(), 3u);  // 2^-3 <= 1/5
  EXPECT_EQ(st.certificate().seed().size(), 32u);
  auto out = requester().fetch_result(t.task_id);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, expected_output(o, input));
  scheduler_->stop();
  EXPECT_EQ(ledger_verify(), 0) << log_of("verify");
  EXPECT_NE(log_of("verify").find("certificates: 1 re-run and passed"), std::string::npos)
      << log_of("verify");
}

// The byzantine worker is alone when the task arrives, so it gets the one certified replica. Its
// corrupted output fails the certificate: it is judged, the result is refuted, and the task is
// replicated on the honest workers that join later, whose agreed result is certified too.
TEST_F(PoolTest, CorruptOutputFailsItsCertificateAndTheTaskCommitsByReplication) {
  start_scheduler();
  start_worker(1, {"--byzantine", "wrong-output"});
  client::SubmitOptions o = sort_task(3);
  Bytes input = random_bytes(4 * 10'000, 7);
  auto t = prepare(o, input);
  ASSERT_TRUE(requester().submit(t).ok());
  bool refuted = false;
  for (int i = 0; i < 200 && !refuted; ++i) {
    auto st = requester().status(t.task_id);
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    for (const auto& r : st->replicas()) refuted |= r.state() == wire::REPLICA_REJECTED;
    if (!refuted) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(refuted) << log_of("scheduler");
  EXPECT_NE(log_of("scheduler").find("fails its certificate"), std::string::npos);
  for (int i = 2; i <= 3; ++i) start_worker(i);
  auto st = requester().wait(t.task_id, 20'000);
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  ASSERT_EQ(st->state(), wire::TASK_COMPLETED) << st->reason();
  EXPECT_EQ(count_outcome(*st, true), 2) << "trust 3: two agreeing fresh workers";
  for (const auto& r : st->replicas()) {
    if (to_hex(as_bytes(r.worker_key())) != to_hex(worker_key(1))) continue;
    EXPECT_FALSE(r.winner());
    EXPECT_EQ(r.state(), wire::REPLICA_REJECTED);
    EXPECT_NE(r.note().find("failed the certificate"), std::string::npos) << r.note();
  }
  ASSERT_TRUE(st->has_certificate()) << "the replicated result is certified as well";
  EXPECT_FALSE(st->certificate().decisive());
  auto out = requester().fetch_result(t.task_id);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, expected_output(o, input));
  scheduler_->stop();
  EXPECT_EQ(ledger_verify(), 0) << log_of("verify");
  auto l = ledger::Ledger::open(dir_ / "pool", true);
  ASSERT_TRUE(l.ok());
  auto stored = (*l)->task(t.task_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto entry = (*l)->entry((*stored)->ledger_seq);
  ASSERT_TRUE(entry.ok());
  auto rec = verifier::decode_task_record(entry->body);
  ASSERT_TRUE(rec.ok()) << rec.status().to_string();
  int judged = 0;
  for (const auto& c : rec->contributions)
    judged += c.outcome == verifier::Outcome::failed_certificate;
  EXPECT_EQ(judged, 1);
}

TEST_F(PoolTest, ByzantineWorkerIsOutvotedAndItsScoreFalls) {
  start_scheduler();
  for (int i = 1; i <= 4; ++i) start_worker(i);
  // Phase 1: worker 4 is honest and earns score on replicated tasks (quorum of all four).
  for (int i = 0; i < 3; ++i) {
    auto st = submit_and_wait(sha_task(1, 4), random_bytes(640, 10 + i));
    ASSERT_EQ(st.state(), wire::TASK_COMPLETED) << st.reason();
  }
  // Phase 2: the same key comes back byzantine.
  workers_[3]->stop();
  start_worker(4, {"--byzantine", "wrong-output"});
  std::this_thread::sleep_for(500ms);
  int outvoted = 0;
  for (int i = 0; i < 6; ++i) {
    auto st = submit_and_wait(sha_task(3, 3), random_bytes(640, 20 + i));
    ASSERT_EQ(st.state(), wire::TASK_COMPLETED) << st.reason();
    for (const auto& r : st.replicas()) {
      if (!r.result_hash().empty() && !r.winner()) {
        EXPECT_EQ(to_hex(as_bytes(r.worker_key())), to_hex(worker_key(4)));
        ++outvoted;
      }
    }
  }
  EXPECT_GT(outvoted, 0);
  scheduler_->stop();
  auto l = ledger::Ledger::open(dir_ / "pool", true);
  ASSERT_TRUE(l.ok());
  std::uint64_t byz = *(*l)->score(worker_key(4));
  std::uint64_t honest = *(*l)->score(worker_key(1));
  EXPECT_LT(byz, 3u);  // it had 3 after phase 1; each wrong vote takes a third
  EXPECT_GT(honest, 3u);
  EXPECT_EQ(ledger_verify(), 0) << log_of("verify");
}

TEST_F(PoolTest, WorkerKilledMidTaskIsReplacedAndTheTaskCommits) {
  start_scheduler();
  Process& slow = start_worker(1, {"--delay-ms", "5000"});
  start_worker(2);
  std::this_thread::sleep_for(300ms);
  auto t = prepare(sha_task(3), random_bytes(6400, 3));  // trust 3: two agreeing replicas
  ASSERT_TRUE(requester().submit(t).ok());
  // Wait until both workers hold a replica, then kill the slow one mid-task.
  for (int i = 0; i < 200; ++i) {
    auto st = requester().status(t.task_id);
    ASSERT_TRUE(st.ok());
    if (st->replicas_size() == 2) break;
    std::this_thread::sleep_for(10ms);
  }
  slow.signal(SIGKILL);
  start_worker(3);
  auto st = requester().wait(t.task_id, 20'000);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->state(), wire::TASK_COMPLETED) << st->reason();
  bool saw_lost = false;
  for (const auto& r : st->replicas()) {
    if (to_hex(as_bytes(r.worker_key())) == to_hex(worker_key(1))) {
      saw_lost = true;
      EXPECT_TRUE(r.result_hash().empty());
      EXPECT_EQ(r.state(), wire::REPLICA_LOST) << r.note();
    }
  }
  EXPECT_TRUE(saw_lost);
  EXPECT_EQ(count_outcome(*st, true), 2);
}

// Sends raw frames to an endpoint from a plain ZeroMQ DEALER and collects what comes back.
std::vector<wire::Envelope> send_raw(const std::string& endpoint,
                                     const std::vector<std::string>& frames) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::rcvtimeo, 300);
  s.connect(endpoint);
  for (const std::string& f : frames) s.send(zmq::buffer(f), zmq::send_flags::none);
  std::vector<wire::Envelope> replies;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    zmq::message_t m;
    if (!s.recv(m)) break;
    auto env =
        transport::decode(ByteView(static_cast<const std::uint8_t*>(m.data()), m.size()), 1 << 20);
    if (env.ok()) replies.push_back(*env);
  }
  return replies;
}

TEST_F(PoolTest, GarbageAndOversizedFramesAreRejectedWhileServiceGoesOn) {
  start_scheduler();
  for (int i = 1; i <= 2; ++i) start_worker(i);
  wire::Envelope wrong_version;
  wrong_version.set_version(99);
  wrong_version.set_message_id(7);
  wrong_version.mutable_status_request()->set_task_id(std::string(32, 'x'));
  Bytes wv = transport::encode(wrong_version);
  wire::Envelope bad_submit;
  bad_submit.set_version(1);
  bad_submit.set_message_id(8);
  bad_submit.mutable_submit()->set_spec("not a spec");
  Bytes bs = transport::encode(bad_submit);
  std::vector<std::string> frames = {"garbage\xff\x01", std::string(wv.begin(), wv.end()),
                                     std::string(bs.begin(), bs.end())};
  for (const std::string& ep : {client_ep_, worker_ep_}) {
    auto replies = send_raw(ep, frames);
    EXPECT_EQ(replies.size(), frames.size()) << ep;
    for (const auto& r : replies) EXPECT_TRUE(r.has_error()) << ep;
    // Far above the 8 MiB limit: libzmq drops the connection; the scheduler carries on.
    send_raw(ep, {std::string(9u << 20, 'A')});
  }
  ASSERT_TRUE(scheduler_->running());
  auto st = submit_and_wait(sha_task(3), random_bytes(640, 4));
  EXPECT_EQ(st.state(), wire::TASK_COMPLETED) << st.reason();
}

TEST_F(PoolTest, SchedulerRestartKeepsCommittedTasksAndResumesAcceptedOnes) {
  start_scheduler();
  for (int i = 1; i <= 2; ++i) start_worker(i);
  std::vector<TaskId> done;
  for (int i = 0; i < 3; ++i) {
    auto t = prepare(sha_task(3), random_bytes(640, 30 + i));
    ASSERT_TRUE(requester().submit(t).ok());
    auto st = requester().wait(t.task_id, 20'000);
    ASSERT_TRUE(st.ok());
    ASSERT_EQ(st->state(), wire::TASK_COMPLETED);
    done.push_back(t.task_id);
  }
  // Accepted but not yet run: no worker can take it (quorum above the pool's size).
  auto pending = prepare(sha_task(3, 3), random_bytes(640, 40));
  ASSERT_TRUE(requester().submit(pending).ok());
  std::string cep = client_ep_, wep = worker_ep_;
  scheduler_->signal(SIGKILL);
  ASSERT_TRUE(scheduler_->wait(5000).has_value());
  start_scheduler(cep, wep);
  for (const TaskId& id : done) {
    auto st = requester().status(id);
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    EXPECT_EQ(st->state(), wire::TASK_COMPLETED);
    EXPECT_TRUE(requester().fetch_result(id).ok());
  }
  start_worker(3);  // the third worker the quorum needs; the other two reconnect on their own
  auto st = requester().wait(pending.task_id, 20'000);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state(), wire::TASK_COMPLETED) << st->reason();
  EXPECT_EQ(ledger_verify(), 0) << log_of("verify");
}

TEST_F(PoolTest, TaskWithoutConsensusFailsAtItsFinalDeadlineWithAReason) {
  start_scheduler("", "", "300");  // T = 300 ms: final deadline 3 s
  for (int i = 1; i <= 2; ++i) start_worker(i);
  auto st =
      submit_and_wait(sha_task(1000), random_bytes(640, 5), 15'000);  // needs 10 agreeing workers
  ASSERT_EQ(st.state(), wire::TASK_FAILED);
  EXPECT_NE(st.reason().find("no consensus by the final deadline"), std::string::npos)
      << st.reason();
  EXPECT_GE(st.finished_ms() - st.submitted_ms(), 3000);
  auto id = from_hex_array<32>(to_hex(as_bytes(st.task_id())));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(requester().fetch_result(*id).status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(ledger_verify(), 0) << log_of("verify");
}

}  // namespace
}  // namespace gpoc::testing

namespace gpoc::testing {
namespace {

// A hand-made worker on the wire: hello, then a register answering the challenge with the given
// operator fields. Returns the scheduler's answer to the register.
wire::Envelope register_with(transport::DealerSocket& dealer, const SecretKey& worker,
                             const std::string& operator_key, const std::string& operator_sig) {
  wire::Envelope hello;
  hello.mutable_hello()->set_worker_key(worker.public_key().data(), 32);
  EXPECT_TRUE(dealer.send(hello).ok());
  auto challenge = dealer.recv(5000);
  if (!challenge.ok() || !*challenge || !(*challenge)->has_challenge()) {
    ADD_FAILURE() << "no challenge";
    return {};
  }
  const wire::Challenge& c = (*challenge)->challenge();
  RegisterStatement st;
  st.pool_id = *fixed_bytes<32>(c.pool_id());
  st.challenge = *fixed_bytes<32>(c.challenge());
  st.worker_key = worker.public_key();
  st.exec_class = "cpu-test";
  Bytes bytes = encode_register(st);
  Signature sig = worker.sign(bytes);
  wire::Envelope reg;
  reg.mutable_register_()->set_statement(bytes.data(), bytes.size());
  reg.mutable_register_()->set_signature(sig.data(), sig.size());
  reg.mutable_register_()->add_kernels("sha256@1");
  reg.mutable_register_()->set_operator_key(operator_key);
  reg.mutable_register_()->set_operator_signature(operator_sig);
  EXPECT_TRUE(dealer.send(reg).ok());
  auto answer = dealer.recv(5000);
  if (!answer.ok() || !*answer) {
    ADD_FAILURE() << "no answer to register";
    return {};
  }
  return **answer;
}

TEST_F(PoolTest, SchedulerRefusesAnOperatorCertificateThatDoesNotSignTheWorkersKey) {
  start_scheduler();
  transport::Context ctx;
  transport::DealerSocket dealer(ctx);
  ASSERT_TRUE(dealer.connect(worker_ep_).ok());
  SecretKey worker = SecretKey::generate(), op = SecretKey::generate();
  const PublicKey& op_pub = op.public_key();
  const std::string op_key(op_pub.begin(), op_pub.end());
  auto as_string = [](const Signature& s) { return std::string(s.begin(), s.end()); };
  const std::string good = as_string(sign_operator_statement(op, worker.public_key()));
  const std::string for_other =
      as_string(sign_operator_statement(op, SecretKey::generate().public_key()));
  const std::vector<std::pair<std::string, std::string>> refused = {
      {op_key, for_other},           // certifies another worker
      {op_key, ""},                  // key without a signature
      {op_key.substr(1), good},      // 31-byte key
      {op_key, good.substr(0, 63)},  // 63-byte signature
  };
  for (const auto& [key, sig] : refused) {
    wire::Envelope answer = register_with(dealer, worker, key, sig);
    ASSERT_TRUE(answer.has_error()) << answer.DebugString();
    EXPECT_EQ(answer.error().code(), wire::ERROR_BAD_SIGNATURE);
    EXPECT_NE(answer.error().message().find("operator certificate does not sign this worker's key"),
              std::string::npos)
        << answer.error().message();
  }
  EXPECT_EQ(log_of("scheduler").find(" registered: "), std::string::npos);  // nothing registered
  wire::Envelope answer = register_with(dealer, worker, op_key, good);
  ASSERT_TRUE(answer.has_registered()) << answer.DebugString();
  auto log = log_of("scheduler");
  for (int i = 0; i < 100 && log.find(", operator ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    log = log_of("scheduler");
  }
  EXPECT_NE(log.find(", operator " + to_hex(op_pub).substr(0, 16)), std::string::npos) << log;
}

}  // namespace
}  // namespace gpoc::testing
