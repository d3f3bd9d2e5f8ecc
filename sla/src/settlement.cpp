#include "gpoc/sla/settlement.hpp"

#include <algorithm>
#include <limits>

namespace gpoc::sla {
namespace {

using U128 = Amount128;
__extension__ using I128 = __int128;

// floor(a * b / c) for c > 0; exact while a * b fits in 128 bits, which every caller's operands
// (units below 2^64, basis points, leverage) guarantee.
U128 mul_div(U128 a, U128 b, U128 c) { return a * b / c; }

Amount to_amount(U128 v) {
  return v > std::numeric_limits<Amount>::max() ? std::numeric_limits<Amount>::max()
                                                : static_cast<Amount>(v);
}

// |SLI - SLO| * 20000 / (SLI + SLO): the distance relative to the mean of the two, in basis
// points. Both zero means they are equal: no deviation. A non-positive sum with a difference can
// only come from a negative SLI, which no measurement yields; it counts as the largest deviation.
std::uint32_t relative_deviation_bp(std::int64_t sli, std::int64_t slo) {
  const I128 diff = sli > slo ? static_cast<I128>(sli) - slo : static_cast<I128>(slo) - sli;
  const I128 sum = static_cast<I128>(sli) + slo;
  if (diff == 0) return 0;
  if (sum <= 0) return kDeviationCapBp;
  const I128 dev = diff * 2 * kBasisPoints / sum;
  return dev > kDeviationCapBp ? kDeviationCapBp : static_cast<std::uint32_t>(dev);
}

Payout settle_deviation(const SlaSpec& s, Amount p, Amount u, bool respected, std::int64_t sli) {
  Payout out;
  out.outcome = respected ? PeriodOutcome::respected : PeriodOutcome::not_respected;
  out.rate_bp = deviation_bp(s, sli);
  const U128 dev = out.rate_bp;
  const U128 lev = s.leverage;
  U128 amount = 0;
  if (respected) {
    // DSLA v2 as deployed: past the cap the reward switches base to the user pool (§1.6 keeps
    // this discontinuity on purpose, so settlements match the reference's vectors).
    amount = mul_div(p, dev, lev * kBasisPoints);
    if (amount > mul_div(u, kPoolCapBp, kBasisPoints)) amount = mul_div(u, dev, kBasisPoints);
    amount = std::min<U128>(amount, u);
  } else {
    amount = mul_div(static_cast<U128>(u) * lev, dev, kBasisPoints);
    if (amount > mul_div(p, kPoolCapBp, kBasisPoints)) amount = mul_div(p, dev, kBasisPoints);
    amount = std::min<U128>(amount, p);
    out.to_users = true;
  }
  out.amount = static_cast<Amount>(amount);
  return out;
}

Payout settle_tiered(const SlaSpec& s, Amount p, Amount u, bool respected, std::int64_t sli) {
  Payout out;
  if (respected) {
    out.outcome = PeriodOutcome::respected;
    out.rate_bp = std::min(s.premium_bp, kBasisPoints);
    out.amount = static_cast<Amount>(mul_div(u, out.rate_bp, kBasisPoints));
    return out;
  }
  out.outcome = PeriodOutcome::not_respected;
  out.to_users = true;
  out.rate_bp = credit_bp(s, sli);
  const U128 credit = mul_div(static_cast<U128>(u) * s.leverage, out.rate_bp, kBasisPoints);
  out.amount = static_cast<Amount>(std::min<U128>(credit, p));  // liability capped by the pool
  return out;
}

}  // namespace

std::string_view outcome_name(PeriodOutcome o) {
  switch (o) {
    case PeriodOutcome::respected: return "respected";
    case PeriodOutcome::not_respected: return "breached";
    case PeriodOutcome::no_data: return "no_data";
  }
  return "unknown";
}

std::uint32_t deviation_bp(const SlaSpec& s, std::int64_t sli) {
  // An (in)equality has no meaningful distance: DSLA fixes it at the cap.
  if (s.op == SloOp::eq || s.op == SloOp::ne) return kDeviationCapBp;
  std::uint32_t dev = 0;
  for (const SeverityStep& step : s.severity) {
    if (sli >= step.at_least) dev = step.penalty_bp;  // the last match wins
  }
  // As in DSLA, a matched penalty of 0 falls through to the formula.
  if (dev == 0) dev = relative_deviation_bp(sli, s.target);
  return std::min(dev, kDeviationCapBp);
}

std::uint32_t credit_bp(const SlaSpec& s, std::int64_t sli) {
  std::uint32_t credit = 0;
  for (const CreditTier& t : s.tiers) {
    bool worse = false;
    switch (s.op) {
      case SloOp::ge:
      case SloOp::gt: worse = sli < t.worse_than; break;
      case SloOp::le:
      case SloOp::lt: worse = sli > t.worse_than; break;
      case SloOp::eq:
      case SloOp::ne: break;  // no direction to be worse in; validate_spec refuses these
    }
    if (worse) credit = std::max(credit, t.credit_bp);
  }
  return std::min(credit, kBasisPoints);
}

Payout settle_period(const SlaSpec& s, Amount provider_pool, Amount user_pool,
                     std::optional<std::int64_t> sli) {
  if (!sli) return Payout{};
  const bool respected = is_respected(s, *sli);
  return s.mode == PayoutMode::tiered
             ? settle_tiered(s, provider_pool, user_pool, respected, *sli)
             : settle_deviation(s, provider_pool, user_pool, respected, *sli);
}

Amount shares_for_stake(Amount amount, Amount pool, Amount supply) {
  if (pool == 0 || supply == 0) return amount;
  return to_amount(mul_div(amount, supply, pool));  // saturates; the book refuses such a stake
}

Result<Amount> shares_for_withdrawal(Amount amount, Amount pool, Amount supply) {
  if (pool == 0 || supply == 0) return failed_precondition("the pool holds no value or no shares");
  const U128 num = static_cast<U128>(amount) * supply;
  const U128 shares = num / pool + (num % pool != 0 ? 1 : 0);
  if (shares > std::numeric_limits<Amount>::max())
    return failed_precondition("the withdrawal would burn more shares than can exist");
  return static_cast<Amount>(shares);
}

Amount value_of_shares(Amount shares, Amount pool, Amount supply) {
  if (supply == 0) return 0;
  return to_amount(mul_div(shares, pool, supply));
}

Fees withdrawal_fees(const SlaSpec& s, Amount amount) {
  return {static_cast<Amount>(mul_div(amount, s.owner_fee_bp, kBasisPoints)),
          static_cast<Amount>(mul_div(amount, s.protocol_fee_bp, kBasisPoints))};
}

}  // namespace gpoc::sla
