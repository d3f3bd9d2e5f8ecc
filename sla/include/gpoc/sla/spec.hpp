// An SLA's frozen terms: which provider, which objective on which SLI, the period calendar, the
// leverage and the payout rule. The canonical bytes (encode_spec) are what the pool signs and the
// ledger records at creation; sla_id = SHA-256 of them. docs/SLA.md explains every field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/common/sha256.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc::sla {

using SlaId = Digest32;

inline constexpr std::string_view kSpecTag = "gpoc.sla.v1";

// Ratio SLIs (availability, on-time completion) are integers in units of 1/100000: 100000 is
// 100%, 99950 is 99.95% (DSLA's precision of 10^3 per percent). Latency SLIs are milliseconds.
inline constexpr std::int64_t kRatioScale = 100'000;

// The limits validate_spec() holds a spec to.
inline constexpr std::size_t kSlaNameMax = 128;   // bytes
inline constexpr std::size_t kSlaKernelMax = 64;  // bytes of [a-z0-9_], latency SLIs only
inline constexpr std::int64_t kLatencyTargetMax = 3'600'000;  // ms
inline constexpr std::uint32_t kPeriodsMax = 10'000;
inline constexpr std::int64_t kSliceMinMs = 1'000;
inline constexpr std::int64_t kSliceMaxMs = 3'600'000;
inline constexpr std::int64_t kCustomPeriodMaxMs = 366LL * 86'400'000;
// start_ms lies in [0, 10000-01-01T00:00Z): the calendar never leaves std::chrono's years.
inline constexpr std::int64_t kStartMaxMs = 253'402'300'800'000;
inline constexpr std::uint32_t kLeverageMax = 100;
inline constexpr std::size_t kSeverityStepsMax = 16;
inline constexpr std::size_t kCreditTiersMax = 8;
inline constexpr std::uint32_t kFeeMaxBp = 1'000;
inline constexpr std::size_t kMaintenanceMax = 1'024;
inline constexpr std::uint32_t kMinWorkersMax = 1'024;

enum class Sli : std::uint8_t {
  availability = 1,  // good time slices / observed slices, from heartbeats
  on_time = 2,       // tasks committed before their deadline with the agreed result / tasks
  latency_p50 = 3,   // submit -> commit, one kernel, milliseconds
  latency_p95 = 4,
  latency_p99 = 5,
};
std::string_view sli_name(Sli s);  // "availability", "on_time", "latency_p50", ...
std::optional<Sli> parse_sli(std::string_view name);
bool is_ratio(Sli s);    // availability, on_time
bool is_latency(Sli s);  // latency_p50/p95/p99
// The quantile of a latency SLI in per-mille: 500, 950, 990.
std::uint32_t latency_quantile_per_mille(Sli s);

enum class SloOp : std::uint8_t { eq = 0, ne = 1, lt = 2, le = 3, gt = 4, ge = 5 };
std::string_view op_symbol(SloOp op);  // "==", "!=", "<", "<=", ">", ">="
std::optional<SloOp> parse_op(std::string_view symbol);

// Period calendars, in UTC. hourly/daily/weekly/monthly periods start on the calendar boundary
// (weekly: Monday 00:00 UTC; monthly: the 1st, 00:00 UTC) and start_ms must be one; custom
// periods are period_ms long from any start_ms.
enum class PeriodType : std::uint8_t { hourly = 1, daily = 2, weekly = 3, monthly = 4, custom = 5 };
std::string_view period_type_name(PeriodType t);
std::optional<PeriodType> parse_period_type(std::string_view name);

enum class PayoutMode : std::uint8_t {
  deviation = 1,  // DSLA v2: amounts scale with the deviation of the SLI from the SLO
  tiered = 2,     // cloud-style service credits: a ladder of SLI thresholds to credit rates
};
std::string_view payout_mode_name(PayoutMode m);
std::optional<PayoutMode> parse_payout_mode(std::string_view name);

// Deviation mode, optional: if SLI >= at_least, the deviation is penalty_bp (the last match in
// the list wins, as in DSLA); sorted by at_least ascending.
struct SeverityStep {
  std::int64_t at_least = 0;
  std::uint32_t penalty_bp = 0;
  bool operator==(const SeverityStep&) const = default;
};

// Tiered mode: a breached period whose SLI is worse than `worse_than` (below it for >=/> SLOs,
// above it for <=/< SLOs) earns the users credit_bp; the largest matching credit applies.
struct CreditTier {
  std::int64_t worse_than = 0;
  std::uint32_t credit_bp = 0;
  bool operator==(const CreditTier&) const = default;
};

// Declared maintenance: [begin_ms, end_ms) is excluded from availability (and declared up front,
// in the frozen terms, so it cannot be added after an outage).
struct Window {
  std::int64_t begin_ms = 0;
  std::int64_t end_ms = 0;
  bool operator==(const Window&) const = default;
};

struct SlaSpec {
  PublicKey pool_id{};
  // The provider held to the SLA: pool_id itself for the whole pool, or one worker's key.
  PublicKey provider{};
  std::string name;  // free text for people, up to 128 bytes

  Sli sli = Sli::availability;
  std::string kernel;  // latency SLIs: the kernel id measured ("sha256"); empty for the others
  SloOp op = SloOp::ge;
  std::int64_t target = 99'000;  // SLO value in the SLI's unit (99000 = 99%)

  PeriodType period_type = PeriodType::daily;
  std::int64_t period_ms = 0;  // custom only (0 otherwise); a multiple of slice_ms
  std::int64_t start_ms = 0;   // start of period 0, Unix milliseconds
  std::uint32_t periods = 1;   // how many periods the SLA runs, 1..10000

  // Availability: the time slice (OpenSLO timeSliceWindow), 1 s .. 1 h, dividing the period; a
  // slice is bad only when the provider was down for the whole of it (partial slices count as
  // up, like GCP's whole minutes). For a pool SLA, "up" means at least min_workers workers alive.
  std::int64_t slice_ms = 60'000;
  std::uint32_t min_workers = 1;
  std::vector<Window> maintenance;  // sorted, not overlapping

  // Settlement.
  std::uint32_t leverage = 1;  // 1..100: the provider pool must hold leverage x the user pool
  PayoutMode mode = PayoutMode::deviation;
  std::vector<SeverityStep> severity;  // deviation mode, optional
  std::vector<CreditTier> tiers;       // tiered mode, 1..8 tiers
  std::uint32_t premium_bp = 0;        // tiered mode: users -> providers on a respected period
  // Withdrawal fees (DSLA v2: 0.30% to the SLA's owner, here the pool; 0.15% to the protocol,
  // here the pool's reward kitty).
  std::uint32_t owner_fee_bp = 30;
  std::uint32_t protocol_fee_bp = 15;

  std::uint64_t nonce = 0;  // makes two otherwise equal SLAs distinct
  bool operator==(const SlaSpec&) const = default;
};

// Checks every limit above; the error names the field and the rule.
Status validate_spec(const SlaSpec& s);
// Canonical little-endian layout (docs/PROTOCOL.md "SLA statements"); decode accepts only it.
Bytes encode_spec(const SlaSpec& s);
Result<SlaSpec> decode_spec(ByteView bytes);
inline SlaId sla_id_of(ByteView spec_bytes) { return sha256(spec_bytes); }

// ---- the calendar ------------------------------------------------------------------------------
struct PeriodBounds {
  std::int64_t begin_ms = 0;  // inclusive
  std::int64_t end_ms = 0;    // exclusive
  bool operator==(const PeriodBounds&) const = default;
};
// Period i (0-based, i < periods) of the SLA's calendar.
PeriodBounds period_bounds(const SlaSpec& s, std::uint32_t i);
// The period containing t, if t falls inside the SLA's term.
std::optional<std::uint32_t> period_at(const SlaSpec& s, std::int64_t t_ms);
// The UTC calendar boundary at or before t for a calendar type (not custom): hour, day, Monday,
// 1st of the month. For `gpoc sla create`, which starts an SLA at the current period.
std::int64_t calendar_floor(PeriodType t, std::int64_t t_ms);

// ---- the objective -----------------------------------------------------------------------------
// SLI <op> SLO.
bool is_respected(const SlaSpec& s, std::int64_t sli);

}  // namespace gpoc::sla
