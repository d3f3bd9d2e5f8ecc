// Accounts on the client endpoint: the operator's signed mints and anyone's balance queries; and
// the pool policy, recorded in the ledger whenever it changes.
#include <spdlog/spdlog.h>

#include <set>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/sha256.hpp"
#include "impl.hpp"

namespace gpoc::scheduler {
namespace {

constexpr std::uint32_t kHistoryMax = 1000;

// The id the latest policy entry is indexed under.
const Digest32& policy_subject() {
  static const Digest32 k = sha256(as_bytes(std::string_view("gpoc.policy")));
  return k;
}

std::int64_t clamp_i64(Amount128 v) {
  return v > static_cast<Amount128>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
}

}  // namespace

void Scheduler::Impl::write_balances(const std::vector<Move>& moves) {
  std::set<PublicKey> touched;
  for (const Move& m : moves) {
    if (m.from != kMintSource) touched.insert(m.from);
    touched.insert(m.to);
  }
  for (const PublicKey& k : touched) batch.set_balance(k, engine->accounts().get(k));
}

Status Scheduler::Impl::record_policy() {
  GPOC_ASSIGN_OR_RETURN(auto seqs, ledger->account_entries(policy_subject(), 1));
  if (!seqs.empty()) {
    GPOC_ASSIGN_OR_RETURN(ledger::Entry e, ledger->entry(seqs.front()));
    auto recorded = decode_policy(e.body);
    if (recorded.ok() && *recorded == cfg.policy) return ok_status();
  }
  ledger::Batch b;
  b.append(std::string(verifier::kPolicyKind), encode_policy(cfg.policy), now());
  b.index(policy_subject());
  GPOC_RETURN_IF_ERROR(ledger->commit(std::move(b)).status());
  next_seq = ledger->size() + 1;
  spdlog::info("pool policy recorded in ledger entry {}", ledger->size());
  return ok_status();
}

void Scheduler::Impl::on_mint(const std::string& peer, const wire::Envelope& env) {
  const wire::MintRequest& req = env.mint_request();
  auto reply_error = [&](wire::ErrorCode code, std::string msg) {
    send_error(Side::clients, peer, env.message_id(), code, std::move(msg));
  };
  Bytes statement(req.statement().begin(), req.statement().end());
  auto m = decode_mint(statement);
  if (!m.ok()) return reply_error(wire::ERROR_MALFORMED, m.status().message());
  if (req.signature().size() != 64)
    return reply_error(wire::ERROR_MALFORMED, "signature must be 64 bytes");
  Signature sig{};
  std::copy(req.signature().begin(), req.signature().end(), sig.begin());
  if (m->pool_id != pool_key.public_key() ||
      !verify_signature(pool_key.public_key(), statement, sig)) {
    return reply_error(wire::ERROR_BAD_SIGNATURE,
                       "a mint must be signed with this pool's key (scheduler.key in its data "
                       "directory)");
  }
  const Digest32 subject = sha256(statement);
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  auto* st = out.mutable_account_status();
  st->set_account(m->account.data(), 32);
  auto done = reader->account_entries(subject, 1);
  if (!done.ok()) return reply_error(wire::ERROR_INTERNAL, done.status().message());
  if (!done->empty() || pending_mints.count(subject) != 0 || inflight_mints.count(subject) != 0) {
    // A retry of a mint already made (or in the batch): answer without minting again.
    Balance b = engine->accounts().get(m->account);
    st->set_free(b.free);
    st->set_locked(b.locked);
    after_commit.push_back({Side::clients, peer, std::move(out)});
    return;
  }
  if (Status s = engine->mint(m->account, m->amount); !s.ok())
    return reply_error(wire::ERROR_INVALID_INPUT, s.message());
  verifier::MintRecord rec{statement, sig};
  next_seq++;
  batch.append(std::string(verifier::kMintKind), verifier::encode_mint_record(rec), now());
  batch.index(subject);
  write_balances({Move{kMintSource, Pot::free, m->account, Pot::free, m->amount}});
  pending_mints.insert(subject);
  Balance b = engine->accounts().get(m->account);
  st->set_free(b.free);
  st->set_locked(b.locked);
  spdlog::info("minted {} units to {} ({})", m->amount, to_hex(m->account).substr(0, 16),
               m->memo.empty() ? "no memo" : m->memo);
  after_commit.push_back({Side::clients, peer, std::move(out)});
}

void Scheduler::Impl::on_account(const std::string& peer, const wire::Envelope& env) {
  const wire::AccountRequest& req = env.account_request();
  if (req.account().size() != 32) {
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                      "account must be a 32-byte key");
  }
  PublicKey account{};
  std::copy(req.account().begin(), req.account().end(), account.begin());
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  auto* st = out.mutable_account_status();
  st->set_account(account.data(), 32);
  Status s = reader->with_snapshot([&]() -> Status {
    GPOC_ASSIGN_OR_RETURN(Balance b, reader->balance(account));
    st->set_free(b.free);
    st->set_locked(b.locked);
    GPOC_ASSIGN_OR_RETURN(
        auto seqs, reader->account_entries(account, std::min(req.history_limit(), kHistoryMax)));
    for (std::uint64_t seq : seqs) {
      GPOC_ASSIGN_OR_RETURN(ledger::Entry e, reader->entry(seq));
      GPOC_ASSIGN_OR_RETURN(auto moves, sla::is_sla_kind(e.kind)
                                            ? sla::record_moves(e.kind, e.body)
                                            : verifier::entry_moves(e.kind, e.body));
      Amount128 free_in = 0, free_out = 0, locked_in = 0, locked_out = 0;
      for (const Move& m : moves) {
        if (m.from == account) (m.from_pot == Pot::free ? free_out : locked_out) += m.amount;
        if (m.to == account) (m.to_pot == Pot::free ? free_in : locked_in) += m.amount;
      }
      auto* h = st->add_history();
      h->set_ledger_seq(seq);
      h->set_kind(e.kind);
      h->set_time_ms(e.time_ms);
      if (auto id = verifier::entry_task(e.kind, e.body)) h->set_task_id(id->data(), 32);
      h->set_free_delta(clamp_i64(free_in) - clamp_i64(free_out));
      h->set_locked_delta(clamp_i64(locked_in) - clamp_i64(locked_out));
    }
    return ok_status();
  });
  if (!s.ok()) {
    return send_error(Side::clients, peer, env.message_id(), wire::ERROR_INTERNAL, s.message());
  }
  const Amount free_now = engine->accounts().get(account).free;
  const Amount avail = engine->available(account);
  st->set_at_stake(free_now > avail ? free_now - avail : 0);
  // The reader may see a batch that is written but not yet durable: answer once it is.
  after_commit.push_back({Side::clients, peer, std::move(out)});
}

}  // namespace gpoc::scheduler
