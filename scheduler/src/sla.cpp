// SLAs on the client endpoint (create, stake, withdraw, queries) and in the event loop: each
// period is measured from the scheduler's own observations and settled in order into the ledger;
// burn-rate alerts pause workers whose error budget burns too fast.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "gpoc/common/hex.hpp"
#include "impl.hpp"

namespace gpoc::scheduler {
namespace {

constexpr std::size_t kHoldingsMax = 200;
__extension__ using Int128 = __int128;

wire::ErrorCode wire_code(const Status& s) {
  switch (s.code()) {
    case ErrorCode::unauthenticated: return wire::ERROR_BAD_SIGNATURE;
    case ErrorCode::not_found: return wire::ERROR_UNKNOWN_TASK;
    case ErrorCode::failed_precondition:
    case ErrorCode::already_exists: return wire::ERROR_WRONG_STATE;
    case ErrorCode::invalid_argument: return wire::ERROR_MALFORMED;
    default: return wire::ERROR_INVALID_INPUT;
  }
}

std::string short_id(const sla::SlaId& id) { return to_hex(id).substr(0, 16); }

}  // namespace

// Rebuilds the book from the ledger's sla.* entries; the balances already hold their moves.
Status Scheduler::Impl::load_slas() {
  sla_book = std::make_unique<sla::Book>(pool_key.public_key());
  sla_monitor =
      std::make_unique<SlaMonitor>(pool_key.public_key(), now(), 2 * cfg.heartbeat_interval_ms);
  Status inner = ok_status();
  GPOC_RETURN_IF_ERROR(ledger->for_each_entry(1, [&](const ledger::Entry& e) {
    if (!sla::is_sla_kind(e.kind)) return true;
    inner = sla_book->apply(e.kind, e.body, e.seq,
                            [](const std::vector<Move>&) { return ok_status(); });
    if (!inner.ok()) {
      inner = inner.with_context("ledger entry " + std::to_string(e.seq) + " (" + e.kind + ")");
      return false;
    }
    note_sla_entry(e.kind, e.body, e.seq);
    return true;
  }));
  GPOC_RETURN_IF_ERROR(inner);
  if (!sla_book->all().empty())
    spdlog::info("{} SLAs loaded from the ledger", sla_book->all().size());
  return ok_status();
}

void Scheduler::Impl::note_sla_entry(std::string_view kind, ByteView body, std::uint64_t seq) {
  if (kind == sla::kStakeKind || kind == sla::kWithdrawKind) {
    if (auto r = sla::decode_stake_record(body); r.ok())
      sla_orders_done.insert(sha256(r->statement));
  } else if (kind == sla::kSettleKind) {
    if (auto r = sla::decode_settle_record(body); r.ok())
      sla_settle_seq[{r->sla_id, r->period}] = seq;
  }
}

// Applies an sla.* body to the book and the engine's accounts and puts it in the batch.
Status Scheduler::Impl::commit_sla_entry(std::string_view kind, const Bytes& body,
                                         const Digest32& subject) {
  std::vector<Move> moved;
  GPOC_RETURN_IF_ERROR(sla_book->apply(kind, body, next_seq, [&](const std::vector<Move>& m) {
    GPOC_RETURN_IF_ERROR(engine->transfer(m));
    moved = m;
    return ok_status();
  }));
  batch.append(std::string(kind), body, now());
  batch.index(subject);
  write_balances(moved);
  note_sla_entry(kind, body, next_seq);
  ++next_seq;
  return ok_status();
}

void Scheduler::Impl::on_sla_order(const std::string& peer, const wire::Envelope& env) {
  const wire::SlaOrder& req = env.sla_order();
  auto reply_error = [&](wire::ErrorCode code, std::string msg) {
    send_error(Side::clients, peer, env.message_id(), code, std::move(msg));
  };
  if (req.signature().size() != 64)
    return reply_error(wire::ERROR_MALFORMED, "signature must be 64 bytes");
  Signature sig{};
  std::copy(req.signature().begin(), req.signature().end(), sig.begin());
  const Bytes statement(req.statement().begin(), req.statement().end());
  sla::SlaId id{};
  std::string_view kind;
  Result<Bytes> body = internal_error("unset");
  if (req.kind() == wire::SlaOrder::SLA_CREATE) {
    id = sla::sla_id_of(statement);
    kind = sla::kCreateKind;
    if (sla_book->find(id) != nullptr) return reply_sla(peer, env.message_id(), id, true);
    body = sla_book->prepare_create(statement, sig);
  } else if (req.kind() == wire::SlaOrder::SLA_STAKE ||
             req.kind() == wire::SlaOrder::SLA_WITHDRAW) {
    auto st = sla::decode_stake(statement);
    if (!st.ok()) return reply_error(wire::ERROR_MALFORMED, st.status().message());
    if (st->withdraw != (req.kind() == wire::SlaOrder::SLA_WITHDRAW))
      return reply_error(wire::ERROR_MALFORMED, "the order's kind disagrees with its statement");
    id = st->sla_id;
    kind = st->withdraw ? sla::kWithdrawKind : sla::kStakeKind;
    // A retry of an order already applied (or in the batch): answer without applying it again.
    if (sla_orders_done.count(sha256(statement)) != 0)
      return reply_sla(peer, env.message_id(), id, true);
    body = sla_book->prepare_stake(statement, sig);
  } else {
    return reply_error(wire::ERROR_MALFORMED, "unknown SLA order kind");
  }
  if (!body.ok()) return reply_error(wire_code(body.status()), body.status().message());
  if (Status s = commit_sla_entry(kind, *body, id); !s.ok())
    return reply_error(wire_code(s), s.message());
  if (kind == sla::kCreateKind) {
    const sla::SlaState* st = sla_book->find(id);
    spdlog::info("SLA {} created: {} {} {} for {}, {} {} period(s)", short_id(id),
                 sla::sli_name(st->spec.sli), sla::op_symbol(st->spec.op), st->spec.target,
                 st->spec.provider == pool_key.public_key()
                     ? std::string("the pool")
                     : to_hex(st->spec.provider).substr(0, 16),
                 st->spec.periods, sla::period_type_name(st->spec.period_type));
  } else {
    auto st = sla::decode_stake(statement);
    spdlog::info("SLA {}: {} {} units {} the {} pool", short_id(id),
                 to_hex(st->staker).substr(0, 16), st->amount,
                 st->withdraw ? "withdrawn from" : "staked into", sla::side_name(st->side));
  }
  reply_sla(peer, env.message_id(), id, true);
}

void Scheduler::Impl::on_sla_query(const std::string& peer, const wire::Envelope& env) {
  const wire::SlaQuery& q = env.sla_query();
  std::optional<PublicKey> holder;
  if (!q.holder().empty()) {
    if (q.holder().size() != 32)
      return send_error(Side::clients, peer, env.message_id(), wire::ERROR_MALFORMED,
                        "holder must be a 32-byte key");
    holder.emplace();
    std::copy(q.holder().begin(), q.holder().end(), holder->begin());
  }
  wire::Envelope out;
  out.set_reply_to(env.message_id());
  auto* list = out.mutable_sla_list();
  if (q.sla_id().empty()) {
    for (const auto& [id, s] : sla_book->all()) fill_sla_info(s, holder, *list->add_slas());
  } else {
    auto id = task_id_from(q.sla_id());
    const sla::SlaState* s = id ? sla_book->find(*id) : nullptr;
    if (s == nullptr)
      return send_error(Side::clients, peer, env.message_id(), wire::ERROR_UNKNOWN_TASK,
                        "no such SLA in this pool");
    fill_sla_info(*s, holder, *list->add_slas());
  }
  send(Side::clients, peer, std::move(out));
}

// Answers with the SLA's state; after the batch holding the order is durable when `durable`.
void Scheduler::Impl::reply_sla(const std::string& peer, std::uint64_t reply_to,
                                const sla::SlaId& id, bool durable) {
  wire::Envelope out;
  out.set_reply_to(reply_to);
  if (const sla::SlaState* s = sla_book->find(id))
    fill_sla_info(*s, std::nullopt, *out.mutable_sla_list()->add_slas());
  if (durable) {
    after_commit.push_back({Side::clients, peer, std::move(out)});
  } else {
    send(Side::clients, peer, std::move(out));
  }
}

void Scheduler::Impl::fill_sla_info(const sla::SlaState& s, const std::optional<PublicKey>& holder,
                                    wire::SlaInfo& info) {
  const std::int64_t t = now();
  info.set_sla_id(s.id.data(), 32);
  const Bytes spec = sla::encode_spec(s.spec);
  info.set_spec(spec.data(), spec.size());
  info.set_created_seq(s.created_seq);
  info.set_provider_pool(s.provider.value);
  info.set_user_pool(s.user.value);
  info.set_provider_shares(s.provider.supply);
  info.set_user_shares(s.user.supply);
  info.set_next_period(s.next_period);
  for (const sla::SettleRecord& r : s.settled) {
    auto* p = info.add_periods();
    const sla::PeriodBounds b = sla::period_bounds(s.spec, r.period);
    p->set_index(r.period);
    p->set_begin_ms(b.begin_ms);
    p->set_end_ms(b.end_ms);
    p->set_outcome(std::string(sla::outcome_name(r.outcome)));
    p->set_sli(r.sli);
    p->set_has_data(r.outcome != sla::PeriodOutcome::no_data);
    p->set_good(r.good);
    p->set_total(r.total);
    p->set_evidence(r.evidence.data(), 32);
    p->set_rate_bp(r.rate_bp);
    const bool to_users = r.provider_after < r.provider_before;
    p->set_to_users(to_users);
    p->set_amount(to_users ? r.provider_before - r.provider_after : r.user_before - r.user_after);
    p->set_provider_after(r.provider_after);
    p->set_user_after(r.user_after);
    auto seq = sla_settle_seq.find({s.id, r.period});
    if (seq != sla_settle_seq.end()) p->set_ledger_seq(seq->second);
  }
  // The open period, measured so far.
  if (!s.finished()) {
    const sla::PeriodBounds b = sla::period_bounds(s.spec, s.next_period);
    if (b.begin_ms <= t) {
      SlaMeasurement m = sla_monitor->measure(s, s.next_period, b.begin_ms, b.end_ms, t);
      auto* p = info.add_periods();
      p->set_index(s.next_period);
      p->set_begin_ms(b.begin_ms);
      p->set_end_ms(b.end_ms);
      p->set_outcome(t >= b.end_ms ? "settling" : "open");
      p->set_has_data(m.sli.has_value());
      p->set_sli(m.sli.value_or(0));
      p->set_good(m.good);
      p->set_total(m.total);
      p->set_evidence(m.evidence.data(), 32);
      if (auto budget = sla::budget_ppm(s.spec); budget && m.total > 0) {
        // allowed = budget * total / 1e6 bad events; left = (allowed - bad) / allowed.
        const Int128 allowed_x1e6 = static_cast<Int128>(*budget) * m.total;
        const Int128 bad_x1e6 = static_cast<Int128>(m.total - m.good) * 1'000'000;
        info.set_has_budget(true);
        info.set_budget_left_ppm(
            static_cast<std::int64_t>((allowed_x1e6 - bad_x1e6) * 1'000'000 / allowed_x1e6));
      }
    }
  }
  for (const SlaMonitor::Alert& a : sla_monitor->alerts(s.id, t)) {
    auto* al = info.add_alerts();
    al->set_worker(a.subject.data(), 32);
    al->set_name(std::string(a.firing.name));
    al->set_severity(a.firing.severity == sla::AlertSeverity::page ? "page" : "ticket");
    al->set_long_burn_x1000(a.firing.long_burn_x1000);
    al->set_short_burn_x1000(a.firing.short_burn_x1000);
  }
  for (const auto& [w, why] : paused_workers) {
    if (why.find(short_id(s.id)) != std::string::npos) info.add_paused_workers(w.data(), 32);
  }
  std::size_t n = 0;
  for (sla::PoolSide side : {sla::PoolSide::provider, sla::PoolSide::user}) {
    const sla::PoolState& pool = side == sla::PoolSide::provider ? s.provider : s.user;
    for (const auto& [k, h] : pool.holders) {
      if ((holder && k != *holder) || h.shares == 0 || n++ >= kHoldingsMax) continue;
      auto* ho = info.add_holdings();
      ho->set_holder(k.data(), 32);
      ho->set_side(std::string(sla::side_name(side)));
      ho->set_shares(h.shares);
      ho->set_value(sla::value_of_shares(h.shares, pool.value, pool.supply));
      ho->set_locked_until(h.locked_until);
      ho->set_withdrawable(sla_book->withdrawable(s.id, side, k));
    }
  }
}

// Settles every period whose end has passed (plus a grace for the last heartbeats), in order, and
// pauses or resumes workers by their burn-rate alerts.
void Scheduler::Impl::sla_turn(std::int64_t now_ms) {
  if (now_ms < next_sla_turn_ms) return;
  next_sla_turn_ms = now_ms + 250;
  const std::int64_t grace = cfg.heartbeat_interval_ms * cfg.heartbeat_liveness;
  std::int64_t keep_from = now_ms - 4 * grace;
  if (sla_book->all().empty()) return sla_monitor->prune(keep_from);
  for (const auto& [id, s] : sla_book->all()) {
    while (!s.finished()) {
      const sla::PeriodBounds b = sla::period_bounds(s.spec, s.next_period);
      if (now_ms < b.end_ms + grace) {
        keep_from = std::min(keep_from, b.begin_ms);
        break;
      }
      const std::uint32_t period = s.next_period;
      SlaMeasurement m = sla_monitor->measure(s, period, b.begin_ms, b.end_ms, now_ms);
      auto body = sla_book->prepare_settle(id, period, m.sli, m.good, m.total, m.evidence);
      Status st = body.ok() ? commit_sla_entry(sla::kSettleKind, *body, id) : body.status();
      if (!st.ok()) {
        spdlog::error("SLA {} period {} cannot settle: {}", short_id(id), period, st.to_string());
        break;
      }
      const sla::SettleRecord& r = s.settled.back();
      spdlog::info("SLA {} period {} settled: {} (SLI {}, {} of {} good), {} units to the {}",
                   short_id(id), period, sla::outcome_name(r.outcome), r.sli, r.good, r.total,
                   r.provider_after < r.provider_before ? r.provider_before - r.provider_after
                                                        : r.user_before - r.user_after,
                   r.provider_after < r.provider_before ? "users" : "providers");
    }
  }
  sla_monitor->prune(keep_from);
  std::map<PublicKey, std::string> fast = sla_monitor->update_burn(*sla_book, now_ms);
  for (const auto& [w, why] : fast) {
    if (paused_workers.count(w) == 0) {
      spdlog::warn("worker {} paused: {}", to_hex(w).substr(0, 16), why);
      engine->set_paused(w, true, why);
    }
  }
  for (auto it = paused_workers.begin(); it != paused_workers.end();) {
    if (fast.count(it->first) == 0) {
      spdlog::info("worker {} resumed: its fast-burn alert no longer fires",
                   to_hex(it->first).substr(0, 16));
      engine->set_paused(it->first, false);
      it = paused_workers.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [w, why] : fast) paused_workers[w] = why;
}

}  // namespace gpoc::scheduler
