// The worker against an in-process fake scheduler: every message it sends is checked byte for byte
// against the protocol (signatures, statements, digests).
#include <gtest/gtest.h>

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "gpoc/common/merkle.hpp"
#include "gpoc/common/statements.hpp"
#include "gpoc/host/operator_cert.hpp"
#include "gpoc/host/worker.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "gpoc/transport/chunks.hpp"
#include "gpoc/transport/socket.hpp"

namespace gpoc::host {
namespace {

class FakeScheduler : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ep = router_.bind("tcp://127.0.0.1:*");
    ASSERT_TRUE(ep.ok());
    endpoint_ = *ep;
    dir_ = std::filesystem::temp_directory_path() /
           ("gpoc-host-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
  }

  WorkerConfig config(ByzantineMode mode = ByzantineMode::none) const {
    WorkerConfig cfg;
    cfg.scheduler_endpoint = endpoint_;
    cfg.key_file = dir_ / "w.key";
    cfg.force_cpu = true;
    cfg.slots = 3;
    cfg.byzantine = mode;
    return cfg;
  }

  void start_worker(ByzantineMode mode = ByzantineMode::none) { start_worker(config(mode)); }
  void start_worker(const WorkerConfig& cfg) {
    auto w = Worker::create(cfg);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    worker_ = std::move(*w);
    thread_ = std::thread([this] { EXPECT_TRUE(worker_->run(stop_).ok()); });
  }

  // Next message from the worker of the given kind (others, e.g. heartbeats, are skipped).
  transport::Incoming expect(wire::Envelope::BodyCase kind, int timeout_ms = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      auto in = router_.recv(50);
      EXPECT_TRUE(in.ok());
      if (in.ok() && *in && (*in)->env.body_case() == kind) return std::move(**in);
    }
    ADD_FAILURE() << "no message of kind " << kind;
    return {};
  }

  void send(const std::string& peer, wire::Envelope env) {
    ASSERT_TRUE(router_.send(peer, std::move(env)).ok());
  }

  // Runs the challenge-response; returns the worker's routing id.
  std::string do_register() {
    auto hello = expect(wire::Envelope::kHello);
    EXPECT_EQ(hello.env.hello().worker_key(),
              std::string(worker_->key().begin(), worker_->key().end()));
    randombytes_buf(challenge_.data(), challenge_.size());
    wire::Envelope c;
    c.mutable_challenge()->set_pool_id(pool_.public_key().data(), 32);
    c.mutable_challenge()->set_challenge(challenge_.data(), 32);
    send(hello.peer, c);
    auto reg = expect(wire::Envelope::kRegister);
    register_ = reg.env.register_();
    auto st = decode_register(as_bytes(reg.env.register_().statement()));
    EXPECT_TRUE(st.ok());
    EXPECT_EQ(st->pool_id, pool_.public_key());
    EXPECT_EQ(st->challenge, challenge_);
    EXPECT_EQ(st->worker_key, worker_->key());
    Signature sig{};
    std::copy(reg.env.register_().signature().begin(), reg.env.register_().signature().end(),
              sig.begin());
    EXPECT_TRUE(verify_signature(worker_->key(), as_bytes(reg.env.register_().statement()), sig));
    EXPECT_EQ(reg.env.register_().slots(), 3u);
    // A CPU worker advertises every catalog kernel (backends that cannot run one leave it out).
    const std::vector<std::string> listed(reg.env.register_().kernels().begin(),
                                          reg.env.register_().kernels().end());
    std::vector<std::string> catalog;
    for (const auto& k : kernels::kernel_catalog())
      catalog.push_back(k.id + "@" + std::to_string(k.version));
    EXPECT_EQ(listed, catalog);
    EXPECT_NE(std::find(listed.begin(), listed.end(), "sha256@1"), listed.end());
    wire::Envelope ok;
    ok.mutable_registered()->set_pool_id(pool_.public_key().data(), 32);
    ok.mutable_registered()->set_heartbeat_interval_ms(100);
    ok.mutable_registered()->set_heartbeat_liveness(3);
    send(reg.peer, ok);
    return reg.peer;
  }

  struct Task {
    TaskId id{};
    Bytes spec;
    Bytes input;
    Bytes expected;
  };

  Task make_task(std::size_t records, std::uint64_t record_bytes, std::size_t input_bytes) {
    TaskSpec s;
    s.kernel_id = "sha256";
    s.params = {{"record_bytes", std::to_string(record_bytes)}};
    Task t;
    t.input.resize(input_bytes);
    for (std::size_t i = 0; i < input_bytes; ++i)
      t.input[i] = static_cast<std::uint8_t>(i * 7 + records);
    s.input_bytes = input_bytes;
    s.input_digest = result_digest(t.input);
    t.spec = *encode_task_spec(s);
    t.id = task_id_of(t.spec);
    auto out = kernels::make_cpu_backend()->run("sha256", 1, s.params, t.input);
    if (out.ok()) t.expected = out->data;
    return t;
  }

  void assign(const std::string& peer, const Task& t) {
    wire::Envelope a;
    a.mutable_assignment()->set_task_id(t.id.data(), 32);
    a.mutable_assignment()->set_spec(t.spec.data(), t.spec.size());
    a.mutable_assignment()->set_input(t.input.data(), t.input.size());
    a.mutable_assignment()->set_input_inline(true);
    send(peer, a);
  }

  ContributionStatement expect_contribution(const Task& t) {
    auto in = expect(wire::Envelope::kContribution);
    const auto& c = in.env.contribution();
    auto st = decode_contribution(as_bytes(c.statement()));
    EXPECT_TRUE(st.ok());
    Signature sig{};
    std::copy(c.signature().begin(), c.signature().end(), sig.begin());
    EXPECT_TRUE(verify_signature(worker_->key(), as_bytes(c.statement()), sig));
    EXPECT_EQ(st->task_id, t.id);
    EXPECT_EQ(st->pool_id, pool_.public_key());
    EXPECT_EQ(st->output_bytes, t.expected.size());
    return *st;
  }

  transport::Context ctx_;
  transport::RouterSocket router_{ctx_};
  std::string endpoint_;
  std::filesystem::path dir_;
  SecretKey pool_ = SecretKey::generate();
  Digest32 challenge_{};
  wire::Register register_;  // the last one received
  std::unique_ptr<Worker> worker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(FakeScheduler, RegistersContributesRevealsAndUploadsExactly) {
  start_worker();
  std::string peer = do_register();
  Task t = make_task(10, 64, 640);
  assign(peer, t);
  ContributionStatement c = expect_contribution(t);
  Digest32 digest = result_digest(t.expected);
  EXPECT_EQ(c.result_hash, result_hash(t.id, digest));
  EXPECT_EQ(c.result_seal, result_seal(worker_->key(), t.id, digest));
  EXPECT_EQ(c.exec_class, kernels::make_cpu_backend()->execution_class());
  wire::Envelope rr;
  rr.mutable_reveal_request()->set_task_id(t.id.data(), 32);
  rr.mutable_reveal_request()->set_upload(true);
  send(peer, rr);
  auto reveal = expect(wire::Envelope::kReveal);
  EXPECT_EQ(reveal.env.reveal().digest(), std::string(digest.begin(), digest.end()));
  transport::ChunkAssembler out(1 << 20);
  for (bool done = false; !done;) {
    auto chunk = expect(wire::Envelope::kOutputChunk);
    auto added = out.add(chunk.env.output_chunk());
    ASSERT_TRUE(added.ok()) << added.status().to_string();
    done = *added;
  }
  EXPECT_EQ(out.take(), t.expected);
}

TEST_F(FakeScheduler, CreatesItsKeyFileWithMode0600) {
  start_worker();
  do_register();
  // Without a certificate the worker is its own operator: the fields stay empty.
  EXPECT_TRUE(register_.operator_key().empty());
  EXPECT_TRUE(register_.operator_signature().empty());
  EXPECT_EQ(std::filesystem::status(dir_ / "w.key").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(FakeScheduler, KernelFailureIsReportedAsAFailureNotAResult) {
  start_worker();
  std::string peer = do_register();
  Task t = make_task(1, 64, 100);  // 100 bytes is not a multiple of record_bytes=64
  assign(peer, t);
  auto f = expect(wire::Envelope::kTaskFailure);
  EXPECT_EQ(f.env.task_failure().task_id(), std::string(t.id.begin(), t.id.end()));
  EXPECT_NE(f.env.task_failure().reason().find("multiple"), std::string::npos)
      << f.env.task_failure().reason();
}

TEST_F(FakeScheduler, WrongOutputModeVotesForAnotherResult) {
  start_worker(ByzantineMode::wrong_output);
  std::string peer = do_register();
  Task t = make_task(4, 64, 256);
  assign(peer, t);
  ContributionStatement c = expect_contribution(t);
  EXPECT_NE(c.result_hash, result_hash(t.id, result_digest(t.expected)));
}

TEST_F(FakeScheduler, CopyVoteModeHasTheRightVoteAndAForgedSeal) {
  start_worker(ByzantineMode::copy_vote);
  std::string peer = do_register();
  Task t = make_task(4, 64, 256);
  assign(peer, t);
  ContributionStatement c = expect_contribution(t);
  Digest32 digest = result_digest(t.expected);
  EXPECT_EQ(c.result_hash, result_hash(t.id, digest));
  EXPECT_NE(c.result_seal, result_seal(worker_->key(), t.id, digest));
}

TEST_F(FakeScheduler, HeartbeatsAndRegistersAgainWhenTheSchedulerFallsSilent) {
  start_worker();
  do_register();
  expect(wire::Envelope::kHeartbeat, 1000);
  // Never answer: after 3 silent intervals of 100 ms the worker starts over with a new hello.
  auto hello = expect(wire::Envelope::kHello, 3000);
  EXPECT_EQ(hello.env.hello().worker_key(),
            std::string(worker_->key().begin(), worker_->key().end()));
}

TEST_F(FakeScheduler, PresentsItsOperatorCertificateWhenItRegisters) {
  SecretKey worker_key = SecretKey::generate(), op = SecretKey::generate();
  ASSERT_TRUE(write_key_file(dir_ / "w.key", worker_key).ok());
  OperatorCertificate cert = certify_worker(op, worker_key.public_key());
  ASSERT_TRUE(write_operator_certificate(dir_ / "w.cert", cert).ok());
  WorkerConfig cfg = config();
  cfg.operator_cert_file = dir_ / "w.cert";
  start_worker(cfg);
  do_register();
  EXPECT_EQ(register_.operator_key(), std::string(op.public_key().begin(), op.public_key().end()));
  auto sig = fixed_bytes<64>(register_.operator_signature());
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(verify_operator_signature(op.public_key(), worker_->key(), *sig));
}

TEST_F(FakeScheduler, RefusesToStartWithACertificateForAnotherKeyOrThatDoesNotVerify) {
  SecretKey worker_key = SecretKey::generate(), op = SecretKey::generate();
  ASSERT_TRUE(write_key_file(dir_ / "w.key", worker_key).ok());
  WorkerConfig cfg = config();
  cfg.operator_cert_file = dir_ / "w.cert";
  // For another worker's key.
  PublicKey other = SecretKey::generate().public_key();
  ASSERT_TRUE(write_operator_certificate(cfg.operator_cert_file, certify_worker(op, other)).ok());
  auto w = Worker::create(cfg);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(w.status().message().find("not for this worker"), std::string::npos)
      << w.status().to_string();
  // For this key, but the signature is not the operator's.
  OperatorCertificate forged = certify_worker(op, worker_key.public_key());
  forged.operator_key = other;
  ASSERT_TRUE(write_operator_certificate(cfg.operator_cert_file, forged).ok());
  w = Worker::create(cfg);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::unauthenticated);
  EXPECT_NE(w.status().message().find("signature does not verify"), std::string::npos)
      << w.status().to_string();
  // A missing file.
  cfg.operator_cert_file = dir_ / "nothing.cert";
  EXPECT_EQ(Worker::create(cfg).status().code(), ErrorCode::not_found);
}

TEST(OperatorCertificateFile, RoundTripsAndRefusesMalformedFiles) {
  SecretKey op = SecretKey::from_seed(Bytes(32, 3));
  PublicKey worker = SecretKey::from_seed(Bytes(32, 4)).public_key();
  OperatorCertificate cert = certify_worker(op, worker);
  EXPECT_TRUE(check_operator_certificate(cert, worker).ok());
  auto parsed = parse_operator_certificate(operator_certificate_json(cert));
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, cert);
  for (std::string bad : {std::string("not json"), std::string("[]"),
                          std::string(R"({"operator_key": "00", "worker_key": "00"})"),
                          std::string(R"({"operator_key": 1, "worker_key": 2, "signature": 3})"),
                          std::string(5000, ' ')}) {
    auto r = parse_operator_certificate(bad);
    EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument) << bad.substr(0, 40);
  }
  std::string short_sig = operator_certificate_json(cert);
  short_sig.replace(short_sig.find("\"signature\": \"") + 14, 2, "");
  EXPECT_NE(parse_operator_certificate(short_sig).status().message().find("128 hex"),
            std::string::npos);
}

TEST(ByzantineModes, ParseAndName) {
  for (auto m : {ByzantineMode::none, ByzantineMode::wrong_output, ByzantineMode::copy_vote,
                 ByzantineMode::no_reveal, ByzantineMode::fail, ByzantineMode::silent}) {
    auto parsed = parse_byzantine_mode(byzantine_mode_name(m));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(parse_byzantine_mode("evil").status().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace gpoc::host
