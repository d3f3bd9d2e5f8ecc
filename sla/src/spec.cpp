#include "gpoc/sla/spec.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "gpoc/sla/settlement.hpp"

namespace gpoc::sla {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kWeekMs = 7 * kDayMs;

// Division and remainder rounding toward minus infinity, so that times before an epoch floor the
// same way as times after it.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

std::chrono::year_month_day day_of(std::int64_t t_ms) {
  using namespace std::chrono;
  return year_month_day{sys_days{days{floor_div(t_ms, kDayMs)}}};
}
std::int64_t ms_of(std::chrono::year_month_day d) {
  return static_cast<std::int64_t>(std::chrono::sys_days{d}.time_since_epoch().count()) * kDayMs;
}

// The fixed length of a period, for every type but monthly.
std::int64_t fixed_period_ms(const SlaSpec& s) {
  switch (s.period_type) {
    case PeriodType::hourly: return kHourMs;
    case PeriodType::daily: return kDayMs;
    case PeriodType::weekly: return kWeekMs;
    case PeriodType::custom: return s.period_ms;
    case PeriodType::monthly: break;
  }
  return 0;
}

// The length every period is a multiple of: the day for months (28 to 31 days long).
std::int64_t period_grain_ms(const SlaSpec& s) {
  return s.period_type == PeriodType::monthly ? kDayMs : fixed_period_ms(s);
}

bool valid_kernel(std::string_view k) {
  if (k.empty() || k.size() > kSlaKernelMax) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool known_sli(Sli s) {
  return static_cast<std::uint8_t>(s) >= 1 && static_cast<std::uint8_t>(s) <= 5;
}
bool known_op(SloOp op) { return static_cast<std::uint8_t>(op) <= 5; }
bool known_period(PeriodType t) {
  return static_cast<std::uint8_t>(t) >= 1 && static_cast<std::uint8_t>(t) <= 5;
}
bool known_mode(PayoutMode m) { return m == PayoutMode::deviation || m == PayoutMode::tiered; }

Status check_objective(const SlaSpec& s) {
  if (!known_sli(s.sli)) return invalid_argument("sli: unknown indicator");
  if (!known_op(s.op)) return invalid_argument("op: unknown comparison");
  if (is_latency(s.sli)) {
    if (!valid_kernel(s.kernel))
      return invalid_argument("kernel: a latency SLI needs a kernel id of 1-64 [a-z0-9_]");
    if (s.target < 1 || s.target > kLatencyTargetMax)
      return invalid_argument("target: a latency target must be 1..3600000 ms");
  } else {
    if (!s.kernel.empty()) return invalid_argument("kernel: only latency SLIs name a kernel");
    if (s.target < 0 || s.target > kRatioScale)
      return invalid_argument("target: a ratio target must be 0..100000");
  }
  return ok_status();
}

Status check_calendar(const SlaSpec& s) {
  if (!known_period(s.period_type)) return invalid_argument("period_type: unknown calendar");
  if (s.periods < 1 || s.periods > kPeriodsMax)
    return invalid_argument("periods: must be 1..10000");
  if (s.start_ms < 0 || s.start_ms >= kStartMaxMs)
    return invalid_argument("start_ms: must lie between 1970 and year 10000");
  if (s.slice_ms < kSliceMinMs || s.slice_ms > kSliceMaxMs)
    return invalid_argument("slice_ms: must be 1000..3600000");
  if (s.period_type == PeriodType::custom) {
    if (s.period_ms < s.slice_ms || s.period_ms > kCustomPeriodMaxMs)
      return invalid_argument("period_ms: a custom period must be slice_ms..366 days");
  } else {
    if (s.period_ms != 0) return invalid_argument("period_ms: only custom periods set it");
    if (calendar_floor(s.period_type, s.start_ms) != s.start_ms) {
      return invalid_argument("start_ms: a " + std::string(period_type_name(s.period_type)) +
                              " calendar starts on its UTC boundary");
    }
  }
  if (period_grain_ms(s) % s.slice_ms != 0)
    return invalid_argument("slice_ms: must divide the period length");
  return ok_status();
}

Status check_availability(const SlaSpec& s) {
  if (s.min_workers < 1 || s.min_workers > kMinWorkersMax)
    return invalid_argument("min_workers: must be 1..1024");
  if (s.maintenance.size() > kMaintenanceMax)
    return invalid_argument("maintenance: at most 1024 windows");
  for (std::size_t i = 0; i < s.maintenance.size(); ++i) {
    const Window& w = s.maintenance[i];
    if (w.begin_ms >= w.end_ms)
      return invalid_argument("maintenance: window " + std::to_string(i) + " is empty");
    if (i > 0 && s.maintenance[i - 1].end_ms > w.begin_ms) {
      return invalid_argument("maintenance: window " + std::to_string(i) +
                              " is out of order or overlaps the one before");
    }
  }
  return ok_status();
}

Status check_payout(const SlaSpec& s) {
  if (s.leverage < 1 || s.leverage > kLeverageMax)
    return invalid_argument("leverage: must be 1..100");
  if (s.owner_fee_bp > kFeeMaxBp) return invalid_argument("owner_fee_bp: at most 1000");
  if (s.protocol_fee_bp > kFeeMaxBp) return invalid_argument("protocol_fee_bp: at most 1000");
  if (!known_mode(s.mode)) return invalid_argument("mode: unknown payout mode");
  if (s.mode == PayoutMode::deviation) {
    // The terms carry nothing that the mode ignores: one spec, one meaning, one encoding.
    if (!s.tiers.empty() || s.premium_bp != 0)
      return invalid_argument("tiers, premium_bp: tiered mode only");
    if (s.severity.size() > kSeverityStepsMax)
      return invalid_argument("severity: at most 16 steps");
    for (std::size_t i = 0; i < s.severity.size(); ++i) {
      if (s.severity[i].penalty_bp > kBasisPoints)
        return invalid_argument("severity: penalty_bp above 10000");
      if (i > 0 && s.severity[i - 1].at_least >= s.severity[i].at_least)
        return invalid_argument("severity: at_least must be strictly ascending");
    }
    return ok_status();
  }
  if (!s.severity.empty()) return invalid_argument("severity: deviation mode only");
  if (s.op == SloOp::eq || s.op == SloOp::ne)
    return invalid_argument("tiers: tiered mode needs an ordering objective (<, <=, >, >=)");
  if (s.tiers.empty() || s.tiers.size() > kCreditTiersMax)
    return invalid_argument("tiers: tiered mode needs 1..8 tiers");
  for (std::size_t i = 0; i < s.tiers.size(); ++i) {
    if (s.tiers[i].credit_bp > kBasisPoints)
      return invalid_argument("tiers: credit_bp above 10000");
    for (std::size_t j = 0; j < i; ++j) {
      if (s.tiers[j].worse_than == s.tiers[i].worse_than)
        return invalid_argument("tiers: two tiers share a threshold");
    }
  }
  if (s.premium_bp > kBasisPoints) return invalid_argument("premium_bp: at most 10000");
  return ok_status();
}

}  // namespace

std::string_view sli_name(Sli s) {
  switch (s) {
    case Sli::availability: return "availability";
    case Sli::on_time: return "on_time";
    case Sli::latency_p50: return "latency_p50";
    case Sli::latency_p95: return "latency_p95";
    case Sli::latency_p99: return "latency_p99";
  }
  return "unknown";
}

std::optional<Sli> parse_sli(std::string_view name) {
  for (Sli s :
       {Sli::availability, Sli::on_time, Sli::latency_p50, Sli::latency_p95, Sli::latency_p99}) {
    if (sli_name(s) == name) return s;
  }
  return std::nullopt;
}

bool is_ratio(Sli s) { return s == Sli::availability || s == Sli::on_time; }
bool is_latency(Sli s) {
  return s == Sli::latency_p50 || s == Sli::latency_p95 || s == Sli::latency_p99;
}

std::uint32_t latency_quantile_per_mille(Sli s) {
  switch (s) {
    case Sli::latency_p50: return 500;
    case Sli::latency_p95: return 950;
    case Sli::latency_p99: return 990;
    default: return 0;
  }
}

std::string_view op_symbol(SloOp op) {
  switch (op) {
    case SloOp::eq: return "==";
    case SloOp::ne: return "!=";
    case SloOp::lt: return "<";
    case SloOp::le: return "<=";
    case SloOp::gt: return ">";
    case SloOp::ge: return ">=";
  }
  return "?";
}

std::optional<SloOp> parse_op(std::string_view symbol) {
  for (SloOp op : {SloOp::eq, SloOp::ne, SloOp::lt, SloOp::le, SloOp::gt, SloOp::ge}) {
    if (op_symbol(op) == symbol) return op;
  }
  return std::nullopt;
}

std::string_view period_type_name(PeriodType t) {
  switch (t) {
    case PeriodType::hourly: return "hourly";
    case PeriodType::daily: return "daily";
    case PeriodType::weekly: return "weekly";
    case PeriodType::monthly: return "monthly";
    case PeriodType::custom: return "custom";
  }
  return "unknown";
}

std::optional<PeriodType> parse_period_type(std::string_view name) {
  for (PeriodType t : {PeriodType::hourly, PeriodType::daily, PeriodType::weekly,
                       PeriodType::monthly, PeriodType::custom}) {
    if (period_type_name(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view payout_mode_name(PayoutMode m) {
  switch (m) {
    case PayoutMode::deviation: return "deviation";
    case PayoutMode::tiered: return "tiered";
  }
  return "unknown";
}

std::optional<PayoutMode> parse_payout_mode(std::string_view name) {
  for (PayoutMode m : {PayoutMode::deviation, PayoutMode::tiered}) {
    if (payout_mode_name(m) == name) return m;
  }
  return std::nullopt;
}

Status validate_spec(const SlaSpec& s) {
  if (s.name.size() > kSlaNameMax) return invalid_argument("name: at most 128 bytes");
  GPOC_RETURN_IF_ERROR(check_objective(s));
  GPOC_RETURN_IF_ERROR(check_calendar(s));
  GPOC_RETURN_IF_ERROR(check_availability(s));
  GPOC_RETURN_IF_ERROR(check_payout(s));
  return ok_status();
}

// Layout: tag "gpoc.sla.v1", pool_id[32], provider[32], u16 name length + name, u8 sli,
// u16 kernel length + kernel, u8 op, i64 target, u8 period_type, i64 period_ms, i64 start_ms,
// u32 periods, i64 slice_ms, u32 min_workers, u16 n + n x (i64 begin_ms, i64 end_ms), u32 leverage,
// u8 mode, u16 n + n x (i64 at_least, u32 penalty_bp), u16 n + n x (i64 worse_than, u32
// credit_bp), u32 premium_bp, u32 owner_fee_bp, u32 protocol_fee_bp, u64 nonce. Little-endian;
// signed values as their two's complement.
Bytes encode_spec(const SlaSpec& s) {
  auto count16 = [](std::size_t n) {
    return static_cast<std::uint16_t>(std::min<std::size_t>(n, 0xffff));
  };
  ByteWriter w(256 + s.name.size() + s.kernel.size() + s.maintenance.size() * 16 +
               (s.severity.size() + s.tiers.size()) * 12);
  w.raw(kSpecTag);
  w.raw(s.pool_id);
  w.raw(s.provider);
  const std::uint16_t name_len = count16(s.name.size());
  w.u16(name_len);
  w.raw(std::string_view(s.name).substr(0, name_len));
  w.u8(static_cast<std::uint8_t>(s.sli));
  const std::uint16_t kernel_len = count16(s.kernel.size());
  w.u16(kernel_len);
  w.raw(std::string_view(s.kernel).substr(0, kernel_len));
  w.u8(static_cast<std::uint8_t>(s.op));
  w.u64(static_cast<std::uint64_t>(s.target));
  w.u8(static_cast<std::uint8_t>(s.period_type));
  w.u64(static_cast<std::uint64_t>(s.period_ms));
  w.u64(static_cast<std::uint64_t>(s.start_ms));
  w.u32(s.periods);
  w.u64(static_cast<std::uint64_t>(s.slice_ms));
  w.u32(s.min_workers);
  const std::uint16_t n_maint = count16(s.maintenance.size());
  w.u16(n_maint);
  for (std::size_t i = 0; i < n_maint; ++i) {
    w.u64(static_cast<std::uint64_t>(s.maintenance[i].begin_ms));
    w.u64(static_cast<std::uint64_t>(s.maintenance[i].end_ms));
  }
  w.u32(s.leverage);
  w.u8(static_cast<std::uint8_t>(s.mode));
  const std::uint16_t n_sev = count16(s.severity.size());
  w.u16(n_sev);
  for (std::size_t i = 0; i < n_sev; ++i) {
    w.u64(static_cast<std::uint64_t>(s.severity[i].at_least));
    w.u32(s.severity[i].penalty_bp);
  }
  const std::uint16_t n_tiers = count16(s.tiers.size());
  w.u16(n_tiers);
  for (std::size_t i = 0; i < n_tiers; ++i) {
    w.u64(static_cast<std::uint64_t>(s.tiers[i].worse_than));
    w.u32(s.tiers[i].credit_bp);
  }
  w.u32(s.premium_bp);
  w.u32(s.owner_fee_bp);
  w.u32(s.protocol_fee_bp);
  w.u64(s.nonce);
  return std::move(w).take();
}

namespace {

bool read_i64(ByteReader& r, std::int64_t& v) {
  std::uint64_t u = 0;
  if (!r.u64(u)) return false;
  v = static_cast<std::int64_t>(u);
  return true;
}

// Reads the fields; enum bytes are range-checked by validate_spec() afterwards.
bool read_spec(ByteReader& r, SlaSpec& s) {
  std::uint16_t name_len = 0, kernel_len = 0, n = 0;
  std::uint8_t sli = 0, op = 0, period_type = 0, mode = 0;
  if (!r.raw(s.pool_id) || !r.raw(s.provider) || !r.u16(name_len) || name_len > kSlaNameMax ||
      !r.string(name_len, s.name) || !r.u8(sli) || !r.u16(kernel_len) ||
      kernel_len > kSlaKernelMax || !r.string(kernel_len, s.kernel) || !r.u8(op) ||
      !read_i64(r, s.target) || !r.u8(period_type) || !read_i64(r, s.period_ms) ||
      !read_i64(r, s.start_ms) || !r.u32(s.periods) || !read_i64(r, s.slice_ms) ||
      !r.u32(s.min_workers) || !r.u16(n) || n > kMaintenanceMax) {
    return false;
  }
  s.sli = static_cast<Sli>(sli);
  s.op = static_cast<SloOp>(op);
  s.period_type = static_cast<PeriodType>(period_type);
  s.maintenance.resize(n);
  for (Window& m : s.maintenance) {
    if (!read_i64(r, m.begin_ms) || !read_i64(r, m.end_ms)) return false;
  }
  if (!r.u32(s.leverage) || !r.u8(mode) || !r.u16(n) || n > kSeverityStepsMax) return false;
  s.mode = static_cast<PayoutMode>(mode);
  s.severity.resize(n);
  for (SeverityStep& st : s.severity) {
    if (!read_i64(r, st.at_least) || !r.u32(st.penalty_bp)) return false;
  }
  if (!r.u16(n) || n > kCreditTiersMax) return false;
  s.tiers.resize(n);
  for (CreditTier& t : s.tiers) {
    if (!read_i64(r, t.worse_than) || !r.u32(t.credit_bp)) return false;
  }
  return r.u32(s.premium_bp) && r.u32(s.owner_fee_bp) && r.u32(s.protocol_fee_bp) && r.u64(s.nonce);
}

}  // namespace

Result<SlaSpec> decode_spec(ByteView bytes) {
  ByteReader r(bytes);
  SlaSpec s;
  if (!r.expect(kSpecTag)) return invalid_argument("sla spec: missing tag gpoc.sla.v1");
  if (!read_spec(r, s)) return invalid_argument("sla spec: truncated or over a limit");
  if (!r.at_end()) return invalid_argument("sla spec: trailing bytes");
  GPOC_RETURN_IF_ERROR(validate_spec(s).with_context("sla spec"));
  // The layout has one encoding per valid spec; this holds the decoder to it whatever changes.
  const Bytes again = encode_spec(s);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()))
    return invalid_argument("sla spec: not in canonical form");
  return s;
}

// ---- the calendar ------------------------------------------------------------------------------

PeriodBounds period_bounds(const SlaSpec& s, std::uint32_t i) {
  if (s.period_type == PeriodType::monthly) {
    using namespace std::chrono;
    const year_month_day start = day_of(s.start_ms);
    const year_month first = start.year() / start.month();
    const year_month from = first + months{i};
    const year_month to = from + months{1};
    return {ms_of(from / day{1}), ms_of(to / day{1})};
  }
  const std::int64_t len = fixed_period_ms(s);
  const std::int64_t begin = s.start_ms + static_cast<std::int64_t>(i) * len;
  return {begin, begin + len};
}

std::optional<std::uint32_t> period_at(const SlaSpec& s, std::int64_t t_ms) {
  if (t_ms < s.start_ms) return std::nullopt;
  std::int64_t index = 0;
  if (s.period_type == PeriodType::monthly) {
    const std::chrono::year_month_day start = day_of(s.start_ms), now = day_of(t_ms);
    index = (static_cast<int>(now.year()) - static_cast<int>(start.year())) * 12LL +
            (static_cast<std::int64_t>(static_cast<unsigned>(now.month())) -
             static_cast<std::int64_t>(static_cast<unsigned>(start.month())));
  } else {
    const std::int64_t len = fixed_period_ms(s);
    if (len <= 0) return std::nullopt;
    index = (t_ms - s.start_ms) / len;
  }
  if (index < 0 || index >= static_cast<std::int64_t>(s.periods)) return std::nullopt;
  return static_cast<std::uint32_t>(index);
}

std::int64_t calendar_floor(PeriodType t, std::int64_t t_ms) {
  switch (t) {
    case PeriodType::hourly: return t_ms - floor_mod(t_ms, kHourMs);
    case PeriodType::daily: return t_ms - floor_mod(t_ms, kDayMs);
    case PeriodType::weekly: {
      // 1970-01-01 was a Thursday, three days after a Monday.
      const std::int64_t day = floor_div(t_ms, kDayMs);
      return (day - floor_mod(day + 3, 7)) * kDayMs;
    }
    case PeriodType::monthly: {
      const std::chrono::year_month_day d = day_of(t_ms);
      return ms_of(d.year() / d.month() / std::chrono::day{1});
    }
    case PeriodType::custom: break;  // no calendar: any instant starts a custom period
  }
  return t_ms;
}

// ---- the objective -----------------------------------------------------------------------------

bool is_respected(const SlaSpec& s, std::int64_t sli) {
  switch (s.op) {
    case SloOp::eq: return sli == s.target;
    case SloOp::ne: return sli != s.target;
    case SloOp::lt: return sli < s.target;
    case SloOp::le: return sli <= s.target;
    case SloOp::gt: return sli > s.target;
    case SloOp::ge: return sli >= s.target;
  }
  return false;
}

}  // namespace gpoc::sla
