// `gpoc sla create|list|show|stake|withdraw|report`: SLAs after Stacktical's DSLA (docs/SLA.md).
#include <sodium.h>

#include <cmath>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "gpoc/client/client.hpp"
#include "gpoc/common/clock.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/sla/book.hpp"
#include "gpoc/sla/measure.hpp"

namespace gpoc::cli {
namespace {

std::string utc(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
  return b;
}

// A decimal with up to `places` fractional digits as an integer scaled by 10^places.
Result<std::int64_t> parse_fixed(const std::string& text, int places, const std::string& what) {
  std::int64_t whole = 0, frac = 0;
  int digits = 0;
  bool dot = false, any = false;
  for (char c : text) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c >= '0' && c <= '9') {
      any = true;
      if (dot) {
        if (++digits > places)
          return invalid_argument(what + " '" + text + "' has more than " + std::to_string(places) +
                                  " decimal places");
        frac = frac * 10 + (c - '0');
      } else {
        whole = whole * 10 + (c - '0');
        if (whole > 1'000'000'000'000LL)
          return invalid_argument(what + " '" + text + "' is too large");
      }
    } else {
      return invalid_argument(what + " '" + text + "' is not a non-negative decimal number");
    }
  }
  if (!any) return invalid_argument(what + " is empty");
  for (; digits < places; ++digits) frac *= 10;
  std::int64_t scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  return whole * scale + frac;
}

// An SLI value as typed: a percentage for ratio SLIs (99.95), milliseconds for latency SLIs.
Result<std::int64_t> parse_sli_value(sla::Sli sli, const std::string& text,
                                     const std::string& what) {
  if (sla::is_ratio(sli)) return parse_fixed(text, 3, what + " (a percentage)");
  return parse_fixed(text, 0, what + " (milliseconds)");
}

std::string format_sli(sla::Sli sli, std::int64_t v) {
  if (!sla::is_ratio(sli)) return std::to_string(v) + " ms";
  std::ostringstream o;
  o << v / 1000 << "." << std::setw(3) << std::setfill('0') << v % 1000 << "%";
  return o.str();
}

std::string format_bp(std::uint32_t bp) {
  std::ostringstream o;
  o << bp / 100 << "." << std::setw(2) << std::setfill('0') << bp % 100 << "%";
  return o.str();
}

// "A:B" pairs for --tier and --severity: an SLI value and a rate in percent.
Result<std::pair<std::int64_t, std::uint32_t>> parse_pair(sla::Sli sli, const std::string& text,
                                                          const std::string& what) {
  auto colon = text.find(':');
  if (colon == std::string::npos)
    return invalid_argument(what + " '" + text + "' must be SLI:PERCENT, e.g. 99.0:30");
  GPOC_ASSIGN_OR_RETURN(std::int64_t v, parse_sli_value(sli, text.substr(0, colon), what));
  GPOC_ASSIGN_OR_RETURN(std::int64_t r, parse_fixed(text.substr(colon + 1), 2, what + " rate"));
  if (r > 10'000) return invalid_argument(what + " rate is over 100%");
  return std::make_pair(v, static_cast<std::uint32_t>(r));
}

Result<sla::SlaSpec> decode_info_spec(const wire::SlaInfo& info) {
  return sla::decode_spec(
      ByteView(reinterpret_cast<const std::uint8_t*>(info.spec().data()), info.spec().size()));
}

std::string objective_text(const sla::SlaSpec& s) {
  std::string o = std::string(sla::sli_name(s.sli));
  if (!s.kernel.empty()) o += "(" + s.kernel + ")";
  return o + " " + std::string(sla::op_symbol(s.op)) + " " + format_sli(s.sli, s.target);
}

std::string provider_text(const sla::SlaSpec& s) {
  return s.provider == s.pool_id ? "the pool" : "worker " + short_hex(s.provider, 16);
}

std::string period_text(const sla::SlaSpec& s) {
  std::string t = std::to_string(s.periods) + " x ";
  if (s.period_type == sla::PeriodType::custom)
    return t + std::to_string(s.period_ms / 1000) + " s";
  return t + std::string(sla::period_type_name(s.period_type));
}

nlohmann::json spec_json(const sla::SlaSpec& s) {
  nlohmann::json j{{"pool_id", to_hex(s.pool_id)},
                   {"provider", to_hex(s.provider)},
                   {"provider_is_pool", s.provider == s.pool_id},
                   {"name", s.name},
                   {"sli", sla::sli_name(s.sli)},
                   {"kernel", s.kernel},
                   {"op", sla::op_symbol(s.op)},
                   {"target", s.target},
                   {"period_type", sla::period_type_name(s.period_type)},
                   {"period_ms", s.period_ms},
                   {"start_ms", s.start_ms},
                   {"periods", s.periods},
                   {"slice_ms", s.slice_ms},
                   {"min_workers", s.min_workers},
                   {"leverage", s.leverage},
                   {"mode", sla::payout_mode_name(s.mode)},
                   {"premium_bp", s.premium_bp},
                   {"owner_fee_bp", s.owner_fee_bp},
                   {"protocol_fee_bp", s.protocol_fee_bp}};
  j["severity"] = nlohmann::json::array();
  for (const auto& st : s.severity)
    j["severity"].push_back({{"at_least", st.at_least}, {"penalty_bp", st.penalty_bp}});
  j["tiers"] = nlohmann::json::array();
  for (const auto& t : s.tiers)
    j["tiers"].push_back({{"worse_than", t.worse_than}, {"credit_bp", t.credit_bp}});
  j["maintenance"] = nlohmann::json::array();
  for (const auto& w : s.maintenance)
    j["maintenance"].push_back({{"begin_ms", w.begin_ms}, {"end_ms", w.end_ms}});
  return j;
}

nlohmann::json info_json(const wire::SlaInfo& info, const sla::SlaSpec& s) {
  nlohmann::json j{{"sla_id", to_hex(as_bytes(info.sla_id()))},
                   {"terms", spec_json(s)},
                   {"created_seq", info.created_seq()},
                   {"provider_pool", info.provider_pool()},
                   {"user_pool", info.user_pool()},
                   {"provider_shares", info.provider_shares()},
                   {"user_shares", info.user_shares()},
                   {"next_period", info.next_period()}};
  j["periods"] = nlohmann::json::array();
  for (const auto& p : info.periods()) {
    j["periods"].push_back({{"index", p.index()},
                            {"begin_ms", p.begin_ms()},
                            {"end_ms", p.end_ms()},
                            {"outcome", p.outcome()},
                            {"has_data", p.has_data()},
                            {"sli", p.sli()},
                            {"target", s.target},
                            {"good", p.good()},
                            {"total", p.total()},
                            {"evidence", to_hex(as_bytes(p.evidence()))},
                            {"rate_bp", p.rate_bp()},
                            {"amount", p.amount()},
                            {"to_users", p.to_users()},
                            {"provider_after", p.provider_after()},
                            {"user_after", p.user_after()},
                            {"ledger_seq", p.ledger_seq()}});
  }
  j["error_budget_left_ppm"] =
      info.has_budget() ? nlohmann::json(info.budget_left_ppm()) : nlohmann::json(nullptr);
  j["alerts"] = nlohmann::json::array();
  for (const auto& a : info.alerts()) {
    j["alerts"].push_back({{"subject", to_hex(as_bytes(a.worker()))},
                           {"name", a.name()},
                           {"severity", a.severity()},
                           {"long_burn", static_cast<double>(a.long_burn_x1000()) / 1000.0},
                           {"short_burn", static_cast<double>(a.short_burn_x1000()) / 1000.0}});
  }
  j["paused_workers"] = nlohmann::json::array();
  for (const auto& w : info.paused_workers()) j["paused_workers"].push_back(to_hex(as_bytes(w)));
  j["holdings"] = nlohmann::json::array();
  for (const auto& h : info.holdings()) {
    j["holdings"].push_back({{"holder", to_hex(as_bytes(h.holder()))},
                             {"side", h.side()},
                             {"shares", h.shares()},
                             {"value", h.value()},
                             {"locked_until_period", h.locked_until()},
                             {"withdrawable", h.withdrawable()}});
  }
  return j;
}

void print_terms(const wire::SlaInfo& info, const sla::SlaSpec& s) {
  std::cout << "SLA " << to_hex(as_bytes(info.sla_id())) << (s.name.empty() ? "" : "  " + s.name)
            << "\n  provider   " << provider_text(s) << "\n  objective  " << objective_text(s);
  if (s.sli == sla::Sli::availability) {
    std::cout << " (" << s.slice_ms / 1000 << " s slices";
    if (s.provider == s.pool_id) std::cout << ", up = at least " << s.min_workers << " worker(s)";
    std::cout << ")";
  }
  std::cout << "\n  periods    " << period_text(s) << " from " << utc(s.start_ms) << " UTC"
            << "\n  payout     " << sla::payout_mode_name(s.mode) << ", leverage " << s.leverage;
  for (const auto& t : s.tiers)
    std::cout << "; worse than " << format_sli(s.sli, t.worse_than) << " -> "
              << format_bp(t.credit_bp);
  for (const auto& st : s.severity)
    std::cout << "; at least " << format_sli(s.sli, st.at_least) << " -> "
              << format_bp(st.penalty_bp);
  std::cout << "\n  pools      provider P = " << info.provider_pool()
            << " units, user U = " << info.user_pool() << " units\n";
}

int print_report(const wire::SlaInfo& info, bool json, bool terms_only) {
  auto s = decode_info_spec(info);
  if (!s.ok()) return fail(s.status());
  if (json) {
    std::cout << info_json(info, *s).dump() << "\n";
    return 0;
  }
  print_terms(info, *s);
  if (terms_only) {
    for (const auto& h : info.holdings()) {
      std::cout << "  " << std::left << std::setw(9) << h.side()
                << short_hex(as_bytes(h.holder()), 16) << "  " << h.value() << " units ("
                << h.shares() << " shares), " << h.withdrawable() << " withdrawable now\n";
    }
    return 0;
  }
  std::cout << "  " << std::left << std::setw(8) << "period" << std::setw(39) << "window (UTC)"
            << std::setw(13) << "SLI" << std::setw(13) << "target" << std::setw(11) << "outcome"
            << "payout\n";
  for (const auto& p : info.periods()) {
    std::ostringstream payout;
    if (p.outcome() == "open" || p.outcome() == "settling") {
      payout << "-";
    } else if (p.amount() == 0) {
      payout << "none";
    } else {
      payout << p.amount() << (p.to_users() ? " to users" : " to providers") << " ("
             << format_bp(p.rate_bp()) << ", ledger #" << p.ledger_seq() << ")";
    }
    std::cout << "  " << std::left << std::setw(8) << p.index() << utc(p.begin_ms()) << " - "
              << utc(p.end_ms()).substr(11) << "         " << std::setw(13)
              << (p.has_data() ? format_sli(s->sli, p.sli()) : "no data") << std::setw(13)
              << (std::string(sla::op_symbol(s->op)) + " " + format_sli(s->sli, s->target))
              << std::setw(11) << p.outcome() << payout.str() << "\n";
  }
  if (info.has_budget()) {
    std::cout << "  error budget left in the open period: " << std::fixed << std::setprecision(1)
              << static_cast<double>(info.budget_left_ppm()) / 10000.0 << "%\n";
  }
  for (const auto& a : info.alerts()) {
    std::cout << "  ALERT " << a.name() << " (" << a.severity() << ") on "
              << (a.worker() == std::string(s->pool_id.begin(), s->pool_id.end())
                      ? std::string("the pool")
                      : short_hex(as_bytes(a.worker()), 16))
              << ": burn " << std::setprecision(1)
              << static_cast<double>(a.long_burn_x1000()) / 1000.0 << "x long, "
              << static_cast<double>(a.short_burn_x1000()) / 1000.0 << "x short\n";
  }
  for (const auto& w : info.paused_workers())
    std::cout << "  worker " << short_hex(as_bytes(w), 16) << " is paused (not dispatched to)\n";
  return 0;
}

// A full id, or a unique prefix of one the scheduler knows.
Result<sla::SlaId> resolve_id(client::Client& c, const std::string& text) {
  if (text.size() == 64) {
    auto id = from_hex_array<32>(text);
    if (!id) return invalid_argument("SLA id must be hex");
    return *id;
  }
  if (text.size() < 4) return invalid_argument("give at least 4 hex characters of the SLA id");
  GPOC_ASSIGN_OR_RETURN(wire::SlaList all, c.sla_query(std::nullopt, std::nullopt));
  std::optional<sla::SlaId> found;
  for (const auto& info : all.slas()) {
    std::string hex = to_hex(as_bytes(info.sla_id()));
    if (hex.rfind(text, 0) != 0) continue;
    if (found) return invalid_argument("SLA id prefix '" + text + "' is ambiguous");
    found = from_hex_array<32>(hex);
  }
  if (!found) return not_found("no SLA id in this pool starts with '" + text + "'");
  return *found;
}

struct Common {
  std::string scheduler = "tcp://127.0.0.1:7600";
  bool json = false;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--scheduler", c.scheduler, "The scheduler's client endpoint")
      ->capture_default_str();
  cmd->add_flag("--json", c.json, "Print JSON for machines");
}

}  // namespace

Result<sla::SlaSpec> build_sla_spec(const SlaCreateOptions& o, const PublicKey& pool,
                                    std::int64_t now_ms) {
  sla::SlaSpec s;
  s.pool_id = pool;
  s.provider = pool;
  if (!o.provider.empty() && o.provider != "pool") {
    auto k = from_hex_array<32>(o.provider);
    if (!k) return invalid_argument("--provider must be 'pool' or a worker's 64-hex-character key");
    s.provider = *k;
  }
  s.name = o.name;
  auto sli = sla::parse_sli(o.sli);
  if (!sli)
    return invalid_argument(
        "--sli must be availability, on_time, latency_p50, latency_p95 or latency_p99");
  s.sli = *sli;
  s.kernel = o.kernel;
  auto op = sla::parse_op(o.op);
  if (!op) return invalid_argument("--op must be one of == != < <= > >=");
  s.op = *op;
  GPOC_ASSIGN_OR_RETURN(s.target, parse_sli_value(s.sli, o.target, "--target"));
  auto pt = sla::parse_period_type(o.period);
  if (!pt) return invalid_argument("--period must be hourly, daily, weekly, monthly or custom");
  s.period_type = *pt;
  s.slice_ms = o.slice_seconds * 1000;
  if (s.period_type == sla::PeriodType::custom) {
    if (o.period_seconds == 0) return invalid_argument("--period custom needs --period-seconds");
    s.period_ms = o.period_seconds * 1000;
  } else if (o.period_seconds != 0) {
    return invalid_argument("--period-seconds goes with --period custom only");
  }
  s.periods = o.periods;
  if (o.start_ms >= 0) {
    s.start_ms = o.start_ms;
  } else if (s.period_type == sla::PeriodType::custom) {
    s.start_ms = now_ms / s.slice_ms * s.slice_ms;  // the current slice
  } else {
    s.start_ms = sla::calendar_floor(s.period_type, now_ms);  // the current calendar period
  }
  s.min_workers = o.min_workers;
  s.leverage = o.leverage;
  auto mode = sla::parse_payout_mode(o.mode);
  if (!mode) return invalid_argument("--mode must be deviation or tiered");
  s.mode = *mode;
  for (const std::string& t : o.tiers) {
    GPOC_ASSIGN_OR_RETURN(auto p, parse_pair(s.sli, t, "--tier"));
    s.tiers.push_back({p.first, p.second});
  }
  for (const std::string& t : o.severity) {
    GPOC_ASSIGN_OR_RETURN(auto p, parse_pair(s.sli, t, "--severity"));
    s.severity.push_back({p.first, p.second});
  }
  if (s.mode == sla::PayoutMode::tiered && s.tiers.empty()) {
    // AWS's compute ladder, relative to the usual 99.99% region commitment.
    s.tiers = {{99'990, 1'000}, {99'000, 3'000}, {95'000, 10'000}};
  }
  s.premium_bp = o.premium_bp;
  for (const std::string& w : o.maintenance) {
    auto colon = w.find(':');
    if (colon == std::string::npos)
      return invalid_argument("--maintenance '" + w + "' must be BEGIN_MS:END_MS");
    GPOC_ASSIGN_OR_RETURN(std::int64_t b,
                          parse_fixed(w.substr(0, colon), 0, "--maintenance begin"));
    GPOC_ASSIGN_OR_RETURN(std::int64_t e, parse_fixed(w.substr(colon + 1), 0, "--maintenance end"));
    s.maintenance.push_back({b, e});
  }
  randombytes_buf(&s.nonce, sizeof s.nonce);
  GPOC_RETURN_IF_ERROR(sla::validate_spec(s));
  return s;
}

Result<wire::SlaInfo> create_sla(client::Client& c, const SecretKey& pool_key,
                                 const sla::SlaSpec& spec) {
  const Bytes bytes = sla::encode_spec(spec);
  return c.sla_order(wire::SlaOrder::SLA_CREATE, bytes, pool_key.sign(bytes));
}

Result<wire::SlaInfo> stake_sla(client::Client& c, const SecretKey& key, const PublicKey& pool,
                                const sla::SlaId& id, sla::PoolSide side, Amount amount,
                                bool withdraw) {
  sla::StakeStatement st;
  st.withdraw = withdraw;
  st.pool_id = pool;
  st.sla_id = id;
  st.staker = key.public_key();
  st.side = side;
  st.amount = amount;
  randombytes_buf(&st.nonce, sizeof st.nonce);
  const Bytes bytes = sla::encode_stake(st);
  return c.sla_order(withdraw ? wire::SlaOrder::SLA_WITHDRAW : wire::SlaOrder::SLA_STAKE, bytes,
                     key.sign(bytes));
}

int print_sla_report(const wire::SlaInfo& info, bool json) {
  return print_report(info, json, false);
}

void add_sla_command(CLI::App& app) {
  auto* top = app.add_subcommand(
      "sla",
      "Service-level agreements after Stacktical's DSLA: an objective on an SLI the scheduler "
      "measures itself, provider and user stake pools, periods settled into the ledger");
  top->require_subcommand(1);

  {
    auto* cmd = top->add_subcommand(
        "create",
        "OPERATOR: create an SLA for the pool or one of its workers, signed with the pool's key "
        "(DATA_DIR/scheduler.key); its terms are frozen in the ledger (sla.create)");
    struct Opts {
      Common c;
      std::string data_dir;
      SlaCreateOptions s;
    };
    auto o = std::make_shared<Opts>();
    add_common(cmd, o->c);
    cmd->add_option("--data-dir", o->data_dir,
                    "The scheduler's data directory (its scheduler.key signs)")
        ->required();
    add_sla_create_options(cmd, o->s);
    cmd->callback([o] {
      auto pool = load_key_file(std::filesystem::path(o->data_dir) / "scheduler.key");
      if (!pool.ok()) std::exit(fail(pool.status()));
      auto spec = build_sla_spec(o->s, pool->public_key(), SystemClock::instance().now_ms());
      if (!spec.ok()) std::exit(fail(spec.status()));
      client::Client c(o->c.scheduler, *pool);
      if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
      auto info = create_sla(c, *pool, *spec);
      if (!info.ok()) std::exit(fail(info.status()));
      if (!o->c.json) std::cout << "created SLA " << to_hex(as_bytes(info->sla_id())) << "\n";
      std::exit(print_report(*info, o->c.json, true));
    });
  }
  {
    auto* cmd = top->add_subcommand("list", "Every SLA of the pool: objective, periods, pools");
    auto o = std::make_shared<Common>();
    add_common(cmd, *o);
    cmd->callback([o] {
      SecretKey anon = SecretKey::generate();
      client::Client c(o->scheduler, anon);
      if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
      auto list = c.sla_query(std::nullopt, std::nullopt);
      if (!list.ok()) std::exit(fail(list.status()));
      nlohmann::json j = nlohmann::json::array();
      if (!o->json && list->slas_size() == 0) std::cout << "no SLAs in this pool\n";
      for (const auto& info : list->slas()) {
        auto s = decode_info_spec(info);
        if (!s.ok()) std::exit(fail(s.status()));
        if (o->json) {
          j.push_back(info_json(info, *s));
          continue;
        }
        std::cout << short_hex(as_bytes(info.sla_id()), 16) << "  " << std::left << std::setw(14)
                  << provider_text(*s).substr(0, 14) << "  " << std::setw(28) << objective_text(*s)
                  << "  " << std::setw(14) << period_text(*s) << "  settled " << info.next_period()
                  << "/" << s->periods << "  P " << info.provider_pool() << "  U "
                  << info.user_pool() << (s->name.empty() ? "" : "  " + s->name) << "\n";
      }
      if (o->json) std::cout << j.dump() << "\n";
      std::exit(0);
    });
  }
  for (bool report : {false, true}) {
    auto* cmd = top->add_subcommand(
        report ? "report" : "show",
        report ? "Each period's SLI, target, outcome and payout, the error budget left and the "
                 "burn-rate alerts firing"
               : "An SLA's terms, pools and stake holdings");
    struct Opts {
      Common c;
      std::string id;
      std::string holder;
    };
    auto o = std::make_shared<Opts>();
    add_common(cmd, o->c);
    cmd->add_option("sla", o->id, "SLA id (or a unique prefix of it)")->required();
    if (!report) cmd->add_option("--holder", o->holder, "Only this holder's stakes (64-hex key)");
    cmd->callback([o, report] {
      SecretKey anon = SecretKey::generate();
      client::Client c(o->c.scheduler, anon);
      if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
      auto id = resolve_id(c, o->id);
      if (!id.ok()) std::exit(fail(id.status()));
      std::optional<PublicKey> holder;
      if (!o->holder.empty()) {
        holder = from_hex_array<32>(o->holder);
        if (!holder) std::exit(fail(invalid_argument("--holder must be 64 hex characters")));
      }
      auto list = c.sla_query(*id, holder);
      if (!list.ok()) std::exit(fail(list.status()));
      std::exit(print_report(list->slas(0), o->c.json, !report));
    });
  }
  for (bool withdraw : {false, true}) {
    auto* cmd = top->add_subcommand(
        withdraw ? "withdraw" : "stake",
        withdraw
            ? "Withdraw units from an SLA pool (after the lock-up; providers only while "
              "P - amount >= U x leverage; fees go to the pool and its kitty)"
            : "Stake units into an SLA's provider pool (collateral, earns the premium) or "
              "user pool (hedge, earns compensation; only while (U + amount) x leverage <= P)");
    struct Opts {
      Common c;
      std::string id, side, key_file;
      Amount amount = 0;
    };
    auto o = std::make_shared<Opts>();
    add_common(cmd, o->c);
    cmd->add_option("sla", o->id, "SLA id (or a unique prefix of it)")->required();
    cmd->add_option("--side", o->side, "provider or user")
        ->required()
        ->check(CLI::IsMember({"provider", "user"}));
    cmd->add_option("--amount", o->amount, "Units")
        ->required()
        ->check(CLI::Range(Amount{1}, kSupplyMax));
    cmd->add_option("--key", o->key_file,
                    "The staker's key file; default: the requester key ($GPOC_KEY or "
                    "~/.config/gpoc/requester.key)");
    cmd->callback([o, withdraw] {
      auto key = o->key_file.empty() ? load_or_create_key_file(client::default_requester_key_path())
                                     : load_key_file(o->key_file);
      if (!key.ok()) std::exit(fail(key.status()));
      client::Client c(o->c.scheduler, *key);
      if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
      auto id = resolve_id(c, o->id);
      if (!id.ok()) std::exit(fail(id.status()));
      auto list = c.sla_query(*id, std::nullopt);
      if (!list.ok()) std::exit(fail(list.status()));
      auto spec = decode_info_spec(list->slas(0));
      if (!spec.ok()) std::exit(fail(spec.status()));
      auto info = stake_sla(c, *key, spec->pool_id, *id,
                            o->side == "provider" ? sla::PoolSide::provider : sla::PoolSide::user,
                            o->amount, withdraw);
      if (!info.ok()) std::exit(fail(info.status()));
      if (!o->c.json) std::cout << (withdraw ? "withdrew " : "staked ") << o->amount << " units\n";
      std::exit(print_report(*info, o->c.json, true));
    });
  }
}

void add_sla_create_options(CLI::App* cmd, SlaCreateOptions& s) {
  cmd->add_option("--provider", s.provider, "'pool' (the whole pool) or one worker's key (hex)")
      ->capture_default_str();
  cmd->add_option("--name", s.name, "A name for people (up to 128 bytes)");
  cmd->add_option("--sli", s.sli,
                  "availability (time slices from heartbeats), on_time (tasks committed by "
                  "their deadline with the agreed result), latency_p50|latency_p95|latency_p99 "
                  "(submit to commit, one kernel)")
      ->capture_default_str();
  cmd->add_option("--kernel", s.kernel, "The kernel a latency SLI measures");
  cmd->add_option("--op", s.op, "Comparison: SLI OP TARGET, one of == != < <= > >=")
      ->capture_default_str();
  cmd->add_option("--target", s.target, "SLO: a percentage (99.9) or milliseconds for latency")
      ->capture_default_str();
  cmd->add_option("--period", s.period, "hourly, daily, weekly, monthly (UTC calendar) or custom")
      ->capture_default_str();
  cmd->add_option("--period-seconds", s.period_seconds, "Length of a custom period");
  cmd->add_option("--periods", s.periods, "How many periods the SLA runs")->capture_default_str();
  cmd->add_option("--start-ms", s.start_ms,
                  "Start of period 0 (Unix ms); default: the current calendar period, or now for "
                  "custom periods");
  cmd->add_option("--slice-seconds", s.slice_seconds, "Availability time slice")
      ->capture_default_str();
  cmd->add_option("--min-workers", s.min_workers,
                  "A pool SLA's slice is up while at least this many workers are")
      ->capture_default_str();
  cmd->add_option("--leverage", s.leverage, "The provider pool must hold leverage x the user pool")
      ->capture_default_str();
  cmd->add_option("--mode", s.mode, "deviation (DSLA v2) or tiered (service credits)")
      ->capture_default_str();
  cmd->add_option("--tier", s.tiers,
                  "Tiered mode: SLI:CREDIT%, e.g. 99.99:10 99.0:30 95.0:100 (the default ladder)");
  cmd->add_option("--severity", s.severity,
                  "Deviation mode: SLI:PENALTY%, the deviation once the SLI reaches SLI");
  cmd->add_option("--premium-bp", s.premium_bp,
                  "Tiered mode: users -> providers on a respected period");
  cmd->add_option("--maintenance", s.maintenance, "Declared maintenance BEGIN_MS:END_MS, excluded");
}

}  // namespace gpoc::cli
