// The gpoc requester and auditor commands as a user runs them: real processes, exit codes, files.
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "gpoc/ledger/ledger.hpp"
#include "gpoc/verifier/records.hpp"
#include "pool_fixture.hpp"

namespace gpoc::testing {
namespace {

void write_file(const std::filesystem::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(PoolTest, RequesterCommandsSubmitFollowAndFetch) {
  start_scheduler();
  for (int i = 1; i <= 3; ++i) start_worker(i);
  Bytes input = random_bytes(4 * 10'000, 9);
  write_file(dir_ / "in.bin", input);
  std::map<std::string, std::string> env = {{"XDG_CONFIG_HOME", (dir_ / "config").string()}};
  auto [rc, out] = run_gpoc(dir_,
                            {"submit", "--scheduler", client_ep_, "--kernel", "sort_u32", "--input",
                             (dir_ / "in.bin").string(), "--trust", "5", "--wait", "--json"},
                            env);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_TRUE(
      std::filesystem::exists(dir_ / "config" / "gpoc" / "requester.key"));  // created on first use
  auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["state"], "COMPLETED");
  std::string id = j["task_id"];
  auto [rc2, status] = run_gpoc(dir_, {"status", "--scheduler", client_ep_, id}, env);
  ASSERT_EQ(rc2, 0) << status;
  EXPECT_NE(status.find("COMPLETED"), std::string::npos) << status;
  EXPECT_NE(status.find("(winner)"), std::string::npos) << status;
  // sort_u32 has a certificate: the scheduler checked the one worker's result with it.
  EXPECT_NE(status.find("certified sorted+fingerprint, 1 round"), std::string::npos) << status;
  EXPECT_NE(status.find("met trust 5 on its own"), std::string::npos) << status;
  auto [rc3, fetched] = run_gpoc(
      dir_, {"result", "--scheduler", client_ep_, id, "-o", (dir_ / "out.bin").string()}, env);
  ASSERT_EQ(rc3, 0) << fetched;
  auto expect = kernels::make_cpu_backend()->run("sort_u32", 1, {}, input);
  ASSERT_TRUE(expect.ok());
  EXPECT_EQ(read_file(dir_ / "out.bin"), expect->data);

  // The requester checks the fetched result itself with the kernel's certificate...
  const std::vector<std::string> check = {
      "check", "--kernel", "sort_u32", "--input", (dir_ / "in.bin").string(), "--output"};
  std::vector<std::string> args = check;
  args.push_back((dir_ / "out.bin").string());
  args.push_back("--json");
  auto [rc4, checked] = run_gpoc(dir_, args);
  ASSERT_EQ(rc4, 0) << checked;
  auto v = nlohmann::json::parse(checked);
  EXPECT_EQ(v["passed"], true);
  EXPECT_EQ(v["rounds"], 20);
  EXPECT_LT(v["log2_false_accept"].get<double>(), -800);
  // ...and a corrupted copy (one value replaced by its neighbour, still in order) fails, exit 2.
  Bytes bad = expect->data;
  std::copy(bad.begin() + 4000, bad.begin() + 4004, bad.begin() + 4004);
  ASSERT_NE(bad, expect->data);
  write_file(dir_ / "bad.bin", bad);
  args = check;
  args.push_back((dir_ / "bad.bin").string());
  auto [rc5, failed] = run_gpoc(dir_, args);
  EXPECT_EQ(rc5, 2) << failed;
  EXPECT_NE(failed.find("FAILED: sorted+fingerprint: output is not a permutation"),
            std::string::npos)
      << failed;
}

TEST_F(PoolTest, BadInputGetsAClearErrorAndNothingIsCreated) {
  start_scheduler();
  write_file(dir_ / "odd.bin", random_bytes(1001, 1));
  std::map<std::string, std::string> env = {{"XDG_CONFIG_HOME", (dir_ / "config").string()}};
  auto [rc, out] = run_gpoc(dir_,
                            {"submit", "--scheduler", client_ep_, "--kernel", "sha256", "--param",
                             "record_bytes=64", "--input", (dir_ / "odd.bin").string()},
                            env);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("not a multiple of record_bytes=64"), std::string::npos) << out;
  auto [rc2, out2] = run_gpoc(dir_,
                              {"submit", "--scheduler", client_ep_, "--kernel", "no_such_kernel",
                               "--input", (dir_ / "odd.bin").string()},
                              env);
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(out2.find("no_such_kernel"), std::string::npos) << out2;
  auto [rc3, out3] = run_gpoc(dir_, {"status", "--scheduler", client_ep_, "zz"}, env);
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(out3.find("64 hex"), std::string::npos) << out3;
}

// Writes the ledger a scheduler would for one sort_u32 task committed on one worker's `output`,
// with a record saying a certificate (seed `seed`, one round) decided it. Returns the pool id.
PublicKey write_certified_ledger(const std::filesystem::path& dir, const Bytes& input,
                                 const Bytes& output, const Digest32& seed) {
  SecretKey pool = SecretKey::generate(), requester = SecretKey::generate(),
            worker = SecretKey::generate();
  TaskSpec spec;
  spec.kernel_id = "sort_u32";
  spec.input_digest = result_digest(input);
  spec.input_bytes = input.size();
  spec.trust = 5;
  spec.requester_key = requester.public_key();
  spec.requester_nonce = 7;
  verifier::TaskRecord r;
  r.spec = *encode_task_spec(spec);
  r.task_id = task_id_of(r.spec);
  r.requester_signature = requester.sign(r.spec);
  r.completed = true;
  r.digest = result_digest(output);
  r.output_bytes = output.size();
  r.submitted_ms = r.consensus_ms = r.finished_ms = 1'700'000'000'000;
  ContributionStatement c{pool.public_key(),
                          r.task_id,
                          worker.public_key(),
                          result_hash(r.task_id, r.digest),
                          result_seal(worker.public_key(), r.task_id, r.digest),
                          output.size(),
                          "cpu-x86_64"};
  verifier::ContributionRecord cr;
  cr.worker = worker.public_key();
  cr.statement = encode_contribution(c);
  cr.signature = worker.sign(cr.statement);
  cr.weight = 2;
  cr.score_after = 1;
  cr.outcome = verifier::Outcome::winner;
  r.contributions.push_back(cr);
  r.certificate = verifier::CertificateRecord{"sorted+fingerprint", 1, 40, seed, true};
  verifier::AcceptRecord acc;
  acc.task_id = r.task_id;
  acc.requester = requester.public_key();
  auto l = ledger::Ledger::open(dir);
  EXPECT_TRUE(l.ok()) << l.status().to_string();
  ledger::Batch b;
  b.append(std::string(verifier::kPolicyKind), encode_policy(Policy{}), r.submitted_ms);
  b.append(std::string(verifier::kAcceptKind), verifier::encode_accept_record(acc), r.submitted_ms);
  b.append(std::string(verifier::kCommitKind), verifier::encode_task_record(r), r.finished_ms);
  ledger::StoredTask st;
  st.task_id = r.task_id;
  st.spec = r.spec;
  st.signature = r.requester_signature;
  st.input = input;
  st.state = wire::TASK_COMPLETED;
  st.digest = r.digest;
  st.output_bytes = output.size();
  st.ledger_seq = 3;
  b.put_task(st);
  b.put_output(r.task_id, output);
  b.set_score(worker.public_key(), 1);
  EXPECT_TRUE((*l)->commit(std::move(b)).ok());
  return pool.public_key();
}

// An auditor re-runs a recorded certificate on the stored input and output: a scheduler that
// committed an unsorted output under a certificate it says passed is caught, even though every
// signature, seal and digest in the record is in order.
TEST_F(PoolTest, LedgerVerifyRerunsRecordedCertificatesAndCatchesACorruptResult) {
  Bytes input;
  for (std::uint32_t v : {5u, 3u, 9u, 1u, 7u, 3u}) {
    for (int i = 0; i < 4; ++i) input.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  auto sorted = kernels::make_cpu_backend()->run("sort_u32", 1, {}, input);
  ASSERT_TRUE(sorted.ok());
  const Digest32 seed = sha256(as_bytes("auditor seed"));
  PublicKey pool = write_certified_ledger(dir_ / "good", input, sorted->data, seed);
  auto [rc, out] = run_gpoc(dir_, {"ledger", "verify", "--data-dir", (dir_ / "good").string(),
                                   "--pool-id", to_hex(pool)});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("certificates: 1 re-run and passed"), std::string::npos) << out;

  Bytes corrupt = sorted->data;
  std::swap_ranges(corrupt.begin(), corrupt.begin() + 4, corrupt.begin() + 8);  // out of order
  pool = write_certified_ledger(dir_ / "bad", input, corrupt, seed);
  auto [rc2, out2] = run_gpoc(dir_, {"ledger", "verify", "--data-dir", (dir_ / "bad").string(),
                                     "--pool-id", to_hex(pool), "--json"});
  EXPECT_EQ(rc2, 4) << out2;
  auto j = nlohmann::json::parse(out2.substr(out2.find('{')));
  EXPECT_EQ(j["first_bad_seq"], 3);
  EXPECT_NE(j["problem"].get<std::string>().find("output fails its recorded certificate"),
            std::string::npos)
      << out2;
}

// Changes one byte of one entry's body behind the ledger's back, as an attacker with the file
// would.
void tamper_entry(const std::filesystem::path& db_path, int seq) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  // The schema's triggers refuse updates to entries; an attacker with the file just drops them.
  char* err = nullptr;
  std::vector<std::string> triggers;
  sqlite3_exec(
      db, "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='entries'",
      [](void* v, int, char** cols, char**) {
        static_cast<std::vector<std::string>*>(v)->push_back(cols[0]);
        return 0;
      },
      &triggers, &err);
  for (const auto& t : triggers)
    sqlite3_exec(db, ("DROP TRIGGER " + t).c_str(), nullptr, nullptr, nullptr);
  std::string upd =
      "UPDATE entries SET body = CAST(substr(body,1,20) || X'00' || substr(body,22) AS BLOB) WHERE "
      "seq=" +
      std::to_string(seq);
  ASSERT_EQ(sqlite3_exec(db, upd.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
}

TEST_F(PoolTest, LedgerVerifyNamesTheFirstTamperedEntry) {
  start_scheduler();
  for (int i = 1; i <= 2; ++i) start_worker(i);
  for (int i = 0; i < 3; ++i) {
    client::SubmitOptions o;
    o.kernel = "sha256";
    o.trust = 3;
    ASSERT_EQ(submit_and_wait(o, random_bytes(640, 50 + i)).state(), wire::TASK_COMPLETED);
  }
  scheduler_->stop();
  auto [rc, out] = run_gpoc(dir_, {"ledger", "verify", "--data-dir", (dir_ / "pool").string()});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ledger OK: 7 entries"), std::string::npos) << out;
  tamper_entry(dir_ / "pool" / "ledger.db", 2);
  auto [rc2, out2] =
      run_gpoc(dir_, {"ledger", "verify", "--data-dir", (dir_ / "pool").string(), "--json"});
  EXPECT_EQ(rc2, 3) << out2;
  auto j = nlohmann::json::parse(out2.substr(out2.find('{')));
  EXPECT_EQ(j["first_bad_seq"], 2);
  EXPECT_EQ(j["ok"], false);
}

}  // namespace
}  // namespace gpoc::testing

namespace gpoc::testing {
namespace {

TEST_F(PoolTest, OneSchedulerPerDataDirectoryAndBadOptionsAreRefused) {
  start_scheduler();
  auto [rc, out] =
      run_gpoc(dir_, {"scheduler", "--data-dir", (dir_ / "pool").string(), "--client-endpoint",
                      "tcp://127.0.0.1:*", "--worker-endpoint", "tcp://127.0.0.1:*"});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("another scheduler is already using"), std::string::npos) << out;
  EXPECT_TRUE(scheduler_->running());
  auto other = dir_ / "other";
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"--log-level", "verbose"},
        std::vector<std::string>{"--category-times-ms", "10s"},
        std::vector<std::string>{"--prices", "1,2"},
        std::vector<std::string>{"--prices", "1,x,3,4"},
        std::vector<std::string>{"--scheduler-reward-ratio", "101"},
        std::vector<std::string>{"--liveness", "0"},
        std::vector<std::string>{"--input-max-bytes", "400000000"}}) {
    std::vector<std::string> args = {"scheduler", "--data-dir", other.string()};
    args.insert(args.end(), bad.begin(), bad.end());
    auto [brc, bout] = run_gpoc(dir_, args);
    EXPECT_NE(brc, 0) << bad[0] << ": " << bout;
  }
}

}  // namespace
}  // namespace gpoc::testing

namespace gpoc::testing {
namespace {

// A priced pool end to end through the CLI: no funds, no task; the operator mints; the task
// escrows, pays the workers and the pool; the audit balances; a doctored balance is caught.
TEST_F(PoolTest, AccountsEscrowSettleAndAudit) {
  scheduler_extra_ = {"--prices", "1000", "--scheduler-reward-ratio", "10"};
  start_scheduler();
  for (int i = 1; i <= 3; ++i) start_worker(i);
  const std::string pool = (dir_ / "pool").string();
  const std::string req_key = (dir_ / "req.key").string();
  write_file(dir_ / "in.bin", random_bytes(256, 77));
  const std::vector<std::string> submit = {"submit",  "--scheduler", client_ep_,
                                           "--key",   req_key,       "--kernel",
                                           "sha256",  "--input",     (dir_ / "in.bin").string(),
                                           "--trust", "5",           "--wait"};
  auto [rc0, out0] = run_gpoc(dir_, submit);
  EXPECT_EQ(rc0, 1) << out0;
  EXPECT_NE(out0.find("insufficient balance: the task costs 1000 units"), std::string::npos)
      << out0;
  auto mint = [&](const std::string& key, const std::string& amount) {
    auto [rc, out] = run_gpoc(dir_, {"account", "mint", "--data-dir", pool, "--scheduler",
                                     client_ep_, "--key", key, "--amount", amount});
    EXPECT_EQ(rc, 0) << out;
  };
  mint(req_key, "2500");
  mint((dir_ / "pool" / "scheduler.key").string(), "1000");
  for (int i = 1; i <= 3; ++i)
    mint((dir_ / ("worker-" + std::to_string(i) + ".key")).string(), "300");
  auto [rc1, out1] = run_gpoc(dir_, submit);
  ASSERT_EQ(rc1, 0) << out1;
  auto json = [&](const std::vector<std::string>& args) {
    auto [rc, out] = run_gpoc(dir_, args);
    EXPECT_EQ(rc, 0) << out;
    return nlohmann::json::parse(out.substr(out.find('{')));
  };
  auto req = json({"account", "history", "--scheduler", client_ep_, "--key", req_key, "--json"});
  EXPECT_EQ(req["free"], 1500);
  ASSERT_EQ(req["history"].size(), 2u);
  EXPECT_EQ(req["history"][0]["kind"], "task.accept");
  EXPECT_EQ(req["history"][0]["free_delta"], -1000);
  EXPECT_EQ(req["history"][1]["kind"], "account.mint");
  // Three fresh winners share 90% of 1000 equally; the pool keeps the rest and its stake back.
  for (int i = 1; i <= 3; ++i) {
    auto w = json({"account", "balance", "--scheduler", client_ep_, "--key",
                   (dir_ / ("worker-" + std::to_string(i) + ".key")).string(), "--json"});
    EXPECT_EQ(w["free"], 600) << i;
  }
  auto p = json({"account", "balance", "--scheduler", client_ep_, "--key",
                 (dir_ / "pool" / "scheduler.key").string(), "--json"});
  EXPECT_EQ(p["free"], 1100);
  EXPECT_EQ(p["locked"], 0);
  scheduler_->stop();
  auto v = json({"ledger", "verify", "--data-dir", pool, "--json"});
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(v["minted"], 2500 + 1000 + 900);
  // Someone with the file gives the requester one more unit: the replay disagrees.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "pool" / "ledger.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE balances SET free = free + 1 WHERE free = 1500", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  auto [rc2, out2] = run_gpoc(dir_, {"ledger", "verify", "--data-dir", pool});
  EXPECT_EQ(rc2, 5) << out2;
  EXPECT_NE(out2.find("is 1501 free + 0 locked, but the entries give 1500 + 0"), std::string::npos)
      << out2;
}

}  // namespace
}  // namespace gpoc::testing

namespace gpoc::testing {
namespace {

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// An operator certifies two workers; both register under it, so a task needing two replicas
// gets one of them and the third worker, never both. A certificate for another key is refused.
TEST_F(PoolTest, OperatorCertifiedWorkersNeverShareATask) {
  start_scheduler();
  for (int i = 1; i <= 2; ++i) {
    auto key = dir_ / ("worker-" + std::to_string(i) + ".key");
    ASSERT_TRUE(write_key_file(key, SecretKey::generate()).ok());
  }
  const std::string op_key = (dir_ / "operator.key").string();
  const std::string cert1 = (dir_ / "w1.cert").string(), cert2 = (dir_ / "w2.cert").string();
  auto [rc1, out1] =
      run_gpoc(dir_, {"operator", "certify", "--operator-key", op_key, "--worker-key",
                      (dir_ / "worker-1.key").string(), "--out", cert1});
  ASSERT_EQ(rc1, 0) << out1;
  EXPECT_NE(out1.find("created operator key"), std::string::npos) << out1;
  // The worker's public key in hex does as well as its key file; no --out prints the JSON.
  auto [rc2, out2] = run_gpoc(dir_, {"operator", "certify", "--operator-key", op_key,
                                     "--worker-key", to_hex(worker_key(2))});
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_EQ(out2.find("created"), std::string::npos) << out2;  // the same operator key, reused
  write_file(cert2, Bytes(out2.begin(), out2.end()));
  std::ifstream op_in(op_key);
  std::string tag, seed, op_pub;
  op_in >> tag >> seed >> op_pub;
  std::ifstream cert1_in(cert1);
  auto c1 = nlohmann::json::parse(cert1_in);
  auto c2 = nlohmann::json::parse(out2);
  EXPECT_EQ(c1["operator_key"], op_pub);
  EXPECT_EQ(c2["operator_key"], op_pub);
  EXPECT_EQ(c1["worker_key"], to_hex(worker_key(1)));
  EXPECT_EQ(c2["worker_key"], to_hex(worker_key(2)));

  start_worker(1, {"--operator-cert", cert1});
  start_worker(2, {"--operator-cert", cert2});
  start_worker(3);
  for (int i = 0; i < 500 && count_of(log_of("scheduler"), " registered: ") < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::string log = log_of("scheduler");
  ASSERT_EQ(count_of(log, " registered: "), 3) << log;
  EXPECT_EQ(count_of(log, ", operator " + op_pub.substr(0, 16)), 2) << log;

  client::SubmitOptions o;
  o.kernel = "sha256";
  o.trust = 3;  // two agreeing fresh workers
  wire::TaskStatus st = submit_and_wait(o, random_bytes(640, 5));
  ASSERT_EQ(st.state(), wire::TASK_COMPLETED) << st.reason();
  ASSERT_EQ(st.replicas_size(), 2);
  std::set<PublicKey> got;
  for (const auto& r : st.replicas()) got.insert(*fixed_bytes<32>(r.worker_key()));
  EXPECT_EQ(got.count(worker_key(3)), 1u);
  EXPECT_EQ(got.count(worker_key(1)) + got.count(worker_key(2)), 1u);

  Process& wrong = start_worker(4, {"--operator-cert", cert1});
  auto rc = wrong.wait(10'000);
  ASSERT_TRUE(rc.has_value()) << "a worker with another key's certificate kept running";
  EXPECT_EQ(*rc, 1);
  std::string wlog = log_of("worker-4");
  EXPECT_NE(wlog.find("operator certificate is for worker " + to_hex(worker_key(1)).substr(0, 16) +
                      ", not for this worker"),
            std::string::npos)
      << wlog;
}

}  // namespace
}  // namespace gpoc::testing
