// `gpoc ledger verify`: an auditor's check of a pool's ledger, offline.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/certificate.hpp"
#include "gpoc/ledger/ledger.hpp"
#include "gpoc/sla/book.hpp"
#include "gpoc/verifier/records.hpp"
#include "gpoc/verifier/replay.hpp"

namespace gpoc::cli {

// Exit codes of `gpoc ledger verify`, documented in --help and docs/OPERATIONS.md.
enum VerifyExit {
  kVerifyOk = 0,
  kVerifyError = 1,
  kVerifyBrokenChain = 3,
  kVerifyBadRecord = 4,
  kVerifyBadState = 5
};

struct VerifyOutcome {
  int code = kVerifyOk;
  std::uint64_t entries = 0, commits = 0, failures = 0, open_tasks = 0;
  std::uint64_t slas = 0, settlements = 0;
  // Records that carry a certificate: re-run on the stored input and output, or not (the
  // database no longer holds them, e.g. a ledger copied without its task table).
  std::uint64_t certificates_checked = 0, certificates_unchecked = 0;
  Amount minted = 0;
  std::string problem;
  std::optional<std::uint64_t> first_bad_seq;
  Digest32 head{};  // hash of the last entry checked, in the audited snapshot
};

static Result<PublicKey> pool_key_from(const std::filesystem::path& data_dir,
                                       const std::string& pool_hex) {
  if (!pool_hex.empty()) {
    auto k = from_hex_array<32>(pool_hex);
    if (!k) return invalid_argument("--pool-id must be 64 hex characters");
    return *k;
  }
  // The key file's third field is the public key; an auditor needs nothing secret from it.
  std::ifstream in(data_dir / "scheduler.key");
  std::string tag, seed, pub;
  if (!(in >> tag >> seed >> pub))
    return not_found("no scheduler.key in " + data_dir.string() + "; pass --pool-id");
  auto k = from_hex_array<32>(pub);
  if (!k) return data_loss("scheduler.key is malformed");
  return *k;
}

// Re-runs a record's certificate with its recorded seed and rounds on the input and output the
// database holds; false in `checked` when it holds neither. The verdict must pass at least as
// strongly as recorded, on an output whose digest is the committed one.
static Status recheck_certificate(const ledger::Ledger& l, const verifier::TaskRecord& r,
                                  bool& checked) {
  checked = false;
  const verifier::CertificateRecord& c = *r.certificate;
  GPOC_ASSIGN_OR_RETURN(auto stored, l.task(r.task_id));
  GPOC_ASSIGN_OR_RETURN(auto output, l.output(r.task_id));
  if (!stored || stored->input.empty() || !output) return ok_status();
  GPOC_ASSIGN_OR_RETURN(TaskSpec spec, decode_task_spec(r.spec));
  if (result_digest(stored->input) != spec.input_digest)
    return data_loss("stored input does not match the spec's input digest");
  if (result_digest(*output) != r.digest)
    return data_loss("stored output does not match the committed digest");
  auto v = kernels::check_certificate(spec.kernel_id, spec.kernel_version, spec.params,
                                      stored->input, *output, c.rounds, c.seed);
  if (!v.ok()) return data_loss("certificate cannot be re-run: " + v.status().message());
  if (!v->passed) return data_loss("output fails its recorded certificate: " + v->reason);
  if (v->method != c.method || -v->log2_false_accept < static_cast<double>(c.bound_bits)) {
    return data_loss("certificate re-run gives " + v->method + " with bound 2^" +
                     std::to_string(v->log2_false_accept) + ", not the recorded " + c.method +
                     " 2^-" + std::to_string(c.bound_bits));
  }
  checked = true;
  return ok_status();
}

// Chain, then every record's signatures and every entry's value moves, then the derived scores
// and balances against a replay of the entries.
static Result<VerifyOutcome> verify_ledger(const ledger::Ledger& l, const PublicKey& pool) {
  VerifyOutcome out;
  GPOC_ASSIGN_OR_RETURN(auto report, l.verify());
  out.entries = report.entries;
  out.head = report.head;
  if (!report.ok) {
    out.code = kVerifyBrokenChain;
    out.problem = report.problem;
    out.first_bad_seq = report.first_bad_seq;
    return out;
  }
  verifier::Replay replay(pool);
  // SLA entries: the book re-checks every signature, staking rule and settlement formula (and
  // that a settlement keeps P + U), and its moves go into the same replayed accounts.
  sla::Book book(pool);
  Status walk = l.for_each_entry(1, [&](const ledger::Entry& e) {
    Status s = ok_status();
    if (e.kind == verifier::kCommitKind || e.kind == verifier::kFailKind) {
      auto rec = verifier::decode_task_record(e.body);
      s = rec.ok() ? verifier::audit_task_record(*rec, pool) : rec.status();
      if (s.ok() && rec->certificate) {
        bool checked = false;
        s = recheck_certificate(l, *rec, checked);
        ++(checked ? out.certificates_checked : out.certificates_unchecked);
      }
    }
    if (s.ok() && sla::is_sla_kind(e.kind)) {
      s = book.apply(e.kind, e.body, e.seq,
                     [&](const std::vector<Move>& m) { return replay.transfer(m); });
      if (s.ok() && e.kind == sla::kSettleKind) ++out.settlements;
    } else if (s.ok()) {
      s = replay.apply(e.kind, e.body);
    }
    if (!s.ok()) {
      out.code = kVerifyBadRecord;
      out.first_bad_seq = e.seq;
      out.problem = "entry " + std::to_string(e.seq) + " (" + e.kind + "): " + s.message();
      return false;
    }
    return true;
  });
  GPOC_RETURN_IF_ERROR(walk);
  out.commits = replay.commits();
  out.failures = replay.failures();
  out.open_tasks = replay.open_tasks();
  out.minted = replay.accounts().minted();
  if (out.code != kVerifyOk) return out;
  auto bad_state = [&](std::string problem) {
    out.code = kVerifyBadState;
    out.problem = std::move(problem);
    return out;
  };
  GPOC_ASSIGN_OR_RETURN(auto scores, l.scores());
  for (const auto& [w, s] : scores) {
    auto it = replay.scores().find(w);
    std::uint64_t expect = it == replay.scores().end() ? 0 : it->second;
    if (expect != s) {
      return bad_state("score of worker " + to_hex(w).substr(0, 16) + " is " + std::to_string(s) +
                       " but the records give " + std::to_string(expect));
    }
  }
  // Balances: the table must be exactly the replayed books, and the books hold every minted unit.
  GPOC_ASSIGN_OR_RETURN(auto balances, l.balances());
  const auto& books = replay.accounts().all();
  if (balances.size() != books.size())
    return bad_state(std::to_string(balances.size()) +
                     " accounts in the balance table, but the "
                     "entries give " +
                     std::to_string(books.size()));
  Amount128 sum = 0;
  for (const auto& [k, b] : balances) {
    auto it = books.find(k);
    Balance expect = it == books.end() ? Balance{} : it->second;
    if (expect != b) {
      return bad_state("balance of " + to_hex(k).substr(0, 16) + " is " + std::to_string(b.free) +
                       " free + " + std::to_string(b.locked) + " locked, but the entries give " +
                       std::to_string(expect.free) + " + " + std::to_string(expect.locked));
    }
    sum += static_cast<Amount128>(b.free) + b.locked;
  }
  if (sum != replay.accounts().minted())
    return bad_state("balances and locks do not add up to the units minted");
  // Each SLA's two pool accounts hold exactly what its book says: P and U.
  for (const auto& [id, s] : book.all()) {
    ++out.slas;
    const Balance p = replay.accounts().get(sla::provider_pool_account(id));
    const Balance u = replay.accounts().get(sla::user_pool_account(id));
    if (p.free != s.provider.value || u.free != s.user.value || p.locked != 0 || u.locked != 0) {
      return bad_state("SLA " + to_hex(id).substr(0, 16) + ": its pool accounts hold " +
                       std::to_string(p.free) + " + " + std::to_string(u.free) +
                       " units, but its entries give P = " + std::to_string(s.provider.value) +
                       " and U = " + std::to_string(s.user.value));
    }
  }
  return out;
}

void add_ledger_command(CLI::App& app) {
  auto* ledger_cmd = app.add_subcommand("ledger", "Audit a pool's ledger");
  ledger_cmd->require_subcommand(1);
  auto* cmd = ledger_cmd->add_subcommand(
      "verify",
      "Recompute the hash chain, re-check every record's signatures, votes and seals, check that "
      "every entry's value moves follow the pool policy and PoCo's settlement rules, re-run every "
      "recorded certificate with its seed on the stored input and output, and replay "
      "the scores and balances (which must add up to the units minted), and re-check every SLA "
      "entry: signatures, staking limits and lock-ups, each period's settlement by the formula, "
      "and that settlements conserve each SLA's provider + user pools.\n"
      "Exit 0: all good; 1: could not read; 3: chain broken (names the first bad entry);\n"
      "4: a record fails its audit; 5: derived state disagrees with the records.");
  struct Opts {
    std::string data_dir;
    std::string pool_hex;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--data-dir", o->data_dir, "The scheduler's data directory")->required();
  cmd->add_option("--pool-id", o->pool_hex,
                  "Pool public key (hex); default: read from DATA_DIR/scheduler.key");
  cmd->add_flag("--json", o->json, "Print JSON for machines");
  cmd->callback([o] {
    auto pool = pool_key_from(o->data_dir, o->pool_hex);
    if (!pool.ok()) std::exit(fail(pool.status()));
    auto l = ledger::Ledger::open(o->data_dir, /*read_only=*/true);
    if (!l.ok()) std::exit(fail(l.status()));
    // One snapshot for the chain, the records and the scores, so a pool still committing is
    // audited as of one moment.
    std::optional<Result<VerifyOutcome>> result;
    Status snap = (*l)->with_snapshot([&] {
      result.emplace(verify_ledger(**l, *pool));
      return ok_status();
    });
    if (!snap.ok()) std::exit(fail(snap));
    auto& r = *result;
    if (!r.ok()) std::exit(fail(r.status()));
    if (o->json) {
      nlohmann::json j{{"ok", r->code == kVerifyOk},
                       {"exit_code", r->code},
                       {"entries", r->entries},
                       {"commits", r->commits},
                       {"failures", r->failures},
                       {"problem", r->problem},
                       {"open_tasks", r->open_tasks},
                       {"minted", r->minted},
                       {"head", to_hex(r->head)},
                       {"slas", r->slas},
                       {"settlements", r->settlements},
                       {"certificates_checked", r->certificates_checked},
                       {"certificates_unchecked", r->certificates_unchecked}};
      j["first_bad_seq"] =
          r->first_bad_seq ? nlohmann::json(*r->first_bad_seq) : nlohmann::json(nullptr);
      std::cout << j.dump() << "\n";
    } else if (r->code == kVerifyOk) {
      std::cout << "ledger OK: " << r->entries << " entries (" << r->commits << " committed, "
                << r->failures << " failed tasks, " << r->open_tasks
                << " in progress), every signature "
                << "checks, every entry balances, scores and balances match the entries, "
                << r->minted << " units minted and all accounted for";
      if (r->slas > 0) {
        std::cout << "; " << r->slas << " SLAs, " << r->settlements
                  << " period settlements by the formula, each SLA's P + U conserved";
      }
      std::cout << "\n";
      if (r->certificates_checked + r->certificates_unchecked > 0) {
        std::cout << "certificates: " << r->certificates_checked << " re-run and passed";
        if (r->certificates_unchecked > 0)
          std::cout << ", " << r->certificates_unchecked
                    << " not re-run (input or output not held)";
        std::cout << "\n";
      }
      std::cout << "head " << to_hex(r->head) << "\n";
    } else {
      std::cout << "ledger BAD: " << r->problem << "\n";
    }
    std::exit(r->code);
  });
}

}  // namespace gpoc::cli
