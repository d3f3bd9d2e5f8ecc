#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "gpoc/common/sha256.hpp"
#include "gpoc/sla/spec.hpp"

namespace gpoc::sla {
namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;
// UTC midnights, from an independent calendar (Python's datetime).
constexpr std::int64_t k2023Feb01 = 1'675'209'600'000;
constexpr std::int64_t k2023Mar01 = 1'677'628'800'000;
constexpr std::int64_t k2023Nov01 = 1'698'796'800'000;
constexpr std::int64_t k2023Dec01 = 1'701'388'800'000;
constexpr std::int64_t k2024Jan01 = 1'704'067'200'000;  // a Monday
constexpr std::int64_t k2024Jan03 = 1'704'240'000'000;  // a Wednesday
constexpr std::int64_t k2024Jan07 = 1'704'585'600'000;  // a Sunday
constexpr std::int64_t k2024Feb01 = 1'706'745'600'000;
constexpr std::int64_t k2024Mar01 = 1'709'251'200'000;
constexpr std::int64_t k2024Dec01 = 1'733'011'200'000;
constexpr std::int64_t k2025Jan01 = 1'735'689'600'000;

SlaSpec base_spec() {
  SlaSpec s;
  s.pool_id.fill(0x11);
  s.provider.fill(0x22);
  s.name = "gpu farm availability";
  s.sli = Sli::availability;
  s.op = SloOp::ge;
  s.target = 99'900;
  s.period_type = PeriodType::daily;
  s.start_ms = k2024Jan01;
  s.periods = 30;
  s.slice_ms = 60'000;
  s.leverage = 4;
  s.nonce = 7;
  return s;
}

SlaSpec latency_spec() {
  SlaSpec s = base_spec();
  s.sli = Sli::latency_p99;
  s.kernel = "sha256";
  s.op = SloOp::le;
  s.target = 2'000;
  return s;
}

SlaSpec tiered_spec() {
  SlaSpec s = base_spec();
  s.mode = PayoutMode::tiered;
  s.target = 99'990;
  s.tiers = {{99'990, 1'000}, {99'000, 3'000}, {95'000, 10'000}};
  s.premium_bp = 200;
  return s;
}

SlaSpec rich_spec() {
  SlaSpec s = base_spec();
  s.period_type = PeriodType::monthly;
  s.periods = 12;
  s.maintenance = {{k2024Jan01 + kHour, k2024Jan01 + 2 * kHour}, {k2024Feb01, k2024Feb01 + kDay}};
  s.severity = {{90'000, 100}, {95'000, 500}, {99'000, 2'000}};
  s.min_workers = 3;
  s.owner_fee_bp = 25;
  s.protocol_fee_bp = 10;
  return s;
}

// ---- names
// ---------------------------------------------------------------------------------------

TEST(SlaNames, EveryEnumRoundTripsThroughItsName) {
  for (Sli s :
       {Sli::availability, Sli::on_time, Sli::latency_p50, Sli::latency_p95, Sli::latency_p99}) {
    EXPECT_EQ(parse_sli(sli_name(s)), s);
    EXPECT_NE(is_ratio(s), is_latency(s));
  }
  EXPECT_EQ(sli_name(Sli::on_time), "on_time");
  EXPECT_EQ(latency_quantile_per_mille(Sli::latency_p50), 500u);
  EXPECT_EQ(latency_quantile_per_mille(Sli::latency_p95), 950u);
  EXPECT_EQ(latency_quantile_per_mille(Sli::latency_p99), 990u);
  EXPECT_EQ(latency_quantile_per_mille(Sli::availability), 0u);
  for (SloOp op : {SloOp::eq, SloOp::ne, SloOp::lt, SloOp::le, SloOp::gt, SloOp::ge})
    EXPECT_EQ(parse_op(op_symbol(op)), op);
  EXPECT_EQ(op_symbol(SloOp::le), "<=");
  for (PeriodType t : {PeriodType::hourly, PeriodType::daily, PeriodType::weekly,
                       PeriodType::monthly, PeriodType::custom})
    EXPECT_EQ(parse_period_type(period_type_name(t)), t);
  for (PayoutMode m : {PayoutMode::deviation, PayoutMode::tiered})
    EXPECT_EQ(parse_payout_mode(payout_mode_name(m)), m);
  EXPECT_FALSE(parse_sli("uptime"));
  EXPECT_FALSE(parse_op("=>"));
  EXPECT_FALSE(parse_op(""));
  EXPECT_FALSE(parse_period_type("yearly"));
  EXPECT_FALSE(parse_payout_mode("Deviation"));
}

// ---- the objective
// -------------------------------------------------------------------------------

TEST(SlaObjective, IsRespectedTruthTableForAllSixOperators) {
  struct Row {
    SloOp op;
    bool below, equal, above;  // SLI = target - 1, target, target + 1
  };
  const Row rows[] = {
      {SloOp::eq, false, true, false}, {SloOp::ne, true, false, true},
      {SloOp::lt, true, false, false}, {SloOp::le, true, true, false},
      {SloOp::gt, false, false, true}, {SloOp::ge, false, true, true},
  };
  SlaSpec s = base_spec();
  for (std::int64_t target : {std::int64_t{0}, std::int64_t{50'000}, kRatioScale}) {
    s.target = target;
    for (const Row& r : rows) {
      s.op = r.op;
      SCOPED_TRACE(std::string(op_symbol(r.op)) + " " + std::to_string(target));
      EXPECT_EQ(is_respected(s, target - 1), r.below);
      EXPECT_EQ(is_respected(s, target), r.equal);
      EXPECT_EQ(is_respected(s, target + 1), r.above);
    }
  }
}

// ---- validation
// ----------------------------------------------------------------------------------

TEST(SlaValidate, AcceptsTheExamplesAndEveryLimitAtItsEdge) {
  EXPECT_TRUE(validate_spec(base_spec()).ok()) << validate_spec(base_spec()).to_string();
  EXPECT_TRUE(validate_spec(latency_spec()).ok());
  EXPECT_TRUE(validate_spec(tiered_spec()).ok());
  EXPECT_TRUE(validate_spec(rich_spec()).ok()) << validate_spec(rich_spec()).to_string();

  const std::vector<std::function<void(SlaSpec&)>> edges = {
      [](SlaSpec& s) { s.name = std::string(128, 'n'); },
      [](SlaSpec& s) { s.target = 0; },
      [](SlaSpec& s) { s.target = kRatioScale; },
      [](SlaSpec& s) { s.periods = 1; },
      [](SlaSpec& s) { s.periods = 10'000; },
      [](SlaSpec& s) { s.leverage = 1; },
      [](SlaSpec& s) { s.leverage = 100; },
      [](SlaSpec& s) { s.slice_ms = 1'000; },
      [](SlaSpec& s) { s.slice_ms = 3'600'000; },
      [](SlaSpec& s) { s.owner_fee_bp = s.protocol_fee_bp = 1'000; },
      [](SlaSpec& s) { s.min_workers = 1'024; },
      [](SlaSpec& s) { s.provider = s.pool_id; },
      [](SlaSpec& s) {  // touching windows do not overlap
        s.maintenance = {{100, 200}, {200, 300}};
      },
      [](SlaSpec& s) {
        s.severity.clear();
        for (int i = 0; i < 16; ++i) s.severity.push_back({i * 1000, 10'000});
      },
      [](SlaSpec& s) {
        s.period_type = PeriodType::custom;
        s.period_ms = 366 * kDay;
        s.start_ms = 12'345;
      },
      [](SlaSpec& s) {
        s.period_type = PeriodType::custom;
        s.period_ms = s.slice_ms;
      },
      [](SlaSpec& s) {
        s.period_type = PeriodType::hourly;
        s.start_ms = k2024Jan01 + 5 * kHour;
      },
      [](SlaSpec& s) {
        s.period_type = PeriodType::weekly;
        s.start_ms = k2024Jan01;
      },
      [](SlaSpec& s) {
        s.period_type = PeriodType::monthly;
        s.start_ms = k2024Feb01;
      },
  };
  for (std::size_t i = 0; i < edges.size(); ++i) {
    SlaSpec s = base_spec();
    edges[i](s);
    EXPECT_TRUE(validate_spec(s).ok()) << "edge " << i << ": " << validate_spec(s).to_string();
  }
  SlaSpec lat = latency_spec();
  for (std::int64_t t : {std::int64_t{1}, std::int64_t{3'600'000}}) {
    lat.target = t;
    EXPECT_TRUE(validate_spec(lat).ok()) << t;
  }
  lat.kernel = std::string(64, 'k');
  EXPECT_TRUE(validate_spec(lat).ok());
  SlaSpec tiers = tiered_spec();
  tiers.tiers.clear();
  for (int i = 0; i < 8; ++i) tiers.tiers.push_back({90'000 + i, 10'000});
  tiers.premium_bp = 10'000;
  EXPECT_TRUE(validate_spec(tiers).ok());
}

struct Bad {
  const char* what;  // the field the error must name
  SlaSpec (*base)();
  std::function<void(SlaSpec&)> change;
};

TEST(SlaValidate, RefusesEveryBrokenLimitAndNamesTheField) {
  const std::vector<Bad> cases = {
      {"name", base_spec, [](SlaSpec& s) { s.name = std::string(129, 'n'); }},
      {"sli", base_spec, [](SlaSpec& s) { s.sli = static_cast<Sli>(9); }},
      {"sli", base_spec, [](SlaSpec& s) { s.sli = static_cast<Sli>(0); }},
      {"op", base_spec, [](SlaSpec& s) { s.op = static_cast<SloOp>(6); }},
      {"kernel", base_spec, [](SlaSpec& s) { s.kernel = "sha256"; }},
      {"kernel", latency_spec, [](SlaSpec& s) { s.kernel.clear(); }},
      {"kernel", latency_spec, [](SlaSpec& s) { s.kernel = std::string(65, 'k'); }},
      {"kernel", latency_spec, [](SlaSpec& s) { s.kernel = "Sha-256"; }},
      {"target", base_spec, [](SlaSpec& s) { s.target = -1; }},
      {"target", base_spec, [](SlaSpec& s) { s.target = kRatioScale + 1; }},
      {"target", latency_spec, [](SlaSpec& s) { s.target = 0; }},
      {"target", latency_spec, [](SlaSpec& s) { s.target = 3'600'001; }},
      {"period_type", base_spec, [](SlaSpec& s) { s.period_type = static_cast<PeriodType>(6); }},
      {"periods", base_spec, [](SlaSpec& s) { s.periods = 0; }},
      {"periods", base_spec, [](SlaSpec& s) { s.periods = 10'001; }},
      {"start_ms", base_spec, [](SlaSpec& s) { s.start_ms = k2024Jan01 + 1; }},
      {"start_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::hourly;
         s.start_ms = k2024Jan01 + kHour / 2;
       }},
      {"start_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::weekly;
         s.start_ms = k2024Jan03;  // a Wednesday
       }},
      {"start_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::monthly;
         s.start_ms = k2024Feb01 + kDay;
       }},
      {"start_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::custom;
         s.period_ms = kDay;
         s.start_ms = -1;
       }},
      {"slice_ms", base_spec, [](SlaSpec& s) { s.slice_ms = 999; }},
      {"slice_ms", base_spec, [](SlaSpec& s) { s.slice_ms = 3'600'001; }},
      {"slice_ms", base_spec, [](SlaSpec& s) { s.slice_ms = 7'000; }},  // 86400000 % 7000 != 0
      {"slice_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::custom;
         s.period_ms = 90'000;  // not a multiple of the 60 s slice
       }},
      {"period_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::custom;
         s.period_ms = s.slice_ms - 1;
       }},
      {"period_ms", base_spec,
       [](SlaSpec& s) {
         s.period_type = PeriodType::custom;
         s.period_ms = 366 * kDay + s.slice_ms;
       }},
      {"period_ms", base_spec, [](SlaSpec& s) { s.period_ms = kDay; }},  // daily: must be 0
      {"leverage", base_spec, [](SlaSpec& s) { s.leverage = 0; }},
      {"leverage", base_spec, [](SlaSpec& s) { s.leverage = 101; }},
      {"mode", base_spec, [](SlaSpec& s) { s.mode = static_cast<PayoutMode>(3); }},
      {"severity", base_spec,
       [](SlaSpec& s) {
         s.severity = {{95'000, 100}, {90'000, 200}};
       }},
      {"severity", base_spec,
       [](SlaSpec& s) {
         s.severity = {{95'000, 100}, {95'000, 200}};
       }},
      {"severity", base_spec,
       [](SlaSpec& s) {
         s.severity = {{95'000, 10'001}};
       }},
      {"severity", base_spec,
       [](SlaSpec& s) {
         for (int i = 0; i < 17; ++i) s.severity.push_back({i, 1});
       }},
      {"severity", tiered_spec,
       [](SlaSpec& s) {
         s.severity = {{1, 1}};
       }},
      {"tiers", base_spec,
       [](SlaSpec& s) {
         s.tiers = {{99'000, 1'000}};
       }},
      {"premium_bp", base_spec, [](SlaSpec& s) { s.premium_bp = 1; }},
      {"tiers", tiered_spec, [](SlaSpec& s) { s.tiers.clear(); }},
      {"tiers", tiered_spec,
       [](SlaSpec& s) {
         s.tiers.clear();
         for (int i = 0; i < 9; ++i) s.tiers.push_back({90'000 + i, 100});
       }},
      {"tiers", tiered_spec, [](SlaSpec& s) { s.tiers[1].credit_bp = 10'001; }},
      {"tiers", tiered_spec, [](SlaSpec& s) { s.tiers[1].worse_than = s.tiers[0].worse_than; }},
      {"tiers", tiered_spec, [](SlaSpec& s) { s.op = SloOp::eq; }},
      {"tiers", tiered_spec, [](SlaSpec& s) { s.op = SloOp::ne; }},
      {"premium_bp", tiered_spec, [](SlaSpec& s) { s.premium_bp = 10'001; }},
      {"owner_fee_bp", base_spec, [](SlaSpec& s) { s.owner_fee_bp = 1'001; }},
      {"protocol_fee_bp", base_spec, [](SlaSpec& s) { s.protocol_fee_bp = 1'001; }},
      {"maintenance", base_spec,
       [](SlaSpec& s) {
         s.maintenance = {{100, 100}};
       }},
      {"maintenance", base_spec,
       [](SlaSpec& s) {
         s.maintenance = {{200, 100}};
       }},
      {"maintenance", base_spec,
       [](SlaSpec& s) {
         s.maintenance = {{100, 300}, {200, 400}};
       }},
      {"maintenance", base_spec,
       [](SlaSpec& s) {
         s.maintenance = {{500, 600}, {100, 200}};
       }},
      {"maintenance", base_spec,
       [](SlaSpec& s) {
         for (std::int64_t i = 0; i < 1'025; ++i) s.maintenance.push_back({2 * i, 2 * i + 1});
       }},
      {"min_workers", base_spec, [](SlaSpec& s) { s.min_workers = 0; }},
      {"min_workers", base_spec, [](SlaSpec& s) { s.min_workers = 1'025; }},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SlaSpec s = cases[i].base();
    cases[i].change(s);
    const Status st = validate_spec(s);
    EXPECT_EQ(st.code(), ErrorCode::invalid_argument)
        << "case " << i << " (" << cases[i].what << ")";
    EXPECT_NE(st.message().find(cases[i].what), std::string::npos)
        << "case " << i << ": " << st.message();
    // Whatever encode makes of a spec that breaks a limit, decode refuses it.
    EXPECT_FALSE(decode_spec(encode_spec(s)).ok()) << "case " << i;
  }
}

// ---- the codec
// -----------------------------------------------------------------------------------

TEST(SlaCodec, RoundTripsAndIdIsTheHashOfTheBytes) {
  for (const SlaSpec& s : {base_spec(), latency_spec(), tiered_spec(), rich_spec()}) {
    const Bytes b = encode_spec(s);
    ASSERT_EQ(std::string(as_chars(ByteView(b).first(kSpecTag.size()))), kSpecTag);
    auto d = decode_spec(b);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(*d, s);
    EXPECT_EQ(encode_spec(*d), b);
    EXPECT_EQ(sla_id_of(b), sha256(b));
  }
  SlaSpec a = base_spec(), b = base_spec();
  b.nonce += 1;
  EXPECT_NE(sla_id_of(encode_spec(a)), sla_id_of(encode_spec(b)));
}

TEST(SlaCodec, RefusesTrailingTruncatedAndRetaggedBytes) {
  const Bytes good = encode_spec(rich_spec());
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_spec(trailing).status().code(), ErrorCode::invalid_argument);
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_spec(ByteView(good).first(n)).ok()) << "prefix of " << n << " bytes";
  }
  Bytes retagged = good;
  retagged[kSpecTag.size() - 1] = '2';  // gpoc.sla.v2
  EXPECT_FALSE(decode_spec(retagged).ok());
}

TEST(SlaCodec, RefusesUnknownEnumValues) {
  const SlaSpec s = rich_spec();
  const Bytes good = encode_spec(s);
  // Offsets from the layout in spec.cpp.
  const std::size_t sli_at = kSpecTag.size() + 64 + 2 + s.name.size();
  const std::size_t op_at = sli_at + 1 + 2 + s.kernel.size();
  const std::size_t period_at_ = op_at + 1 + 8;
  const std::size_t mode_at =
      period_at_ + 1 + 8 + 8 + 4 + 8 + 4 + 2 + 16 * s.maintenance.size() + 4;
  ASSERT_EQ(good[sli_at], static_cast<std::uint8_t>(Sli::availability));
  ASSERT_EQ(good[op_at], static_cast<std::uint8_t>(SloOp::ge));
  ASSERT_EQ(good[period_at_], static_cast<std::uint8_t>(PeriodType::monthly));
  ASSERT_EQ(good[mode_at], static_cast<std::uint8_t>(PayoutMode::deviation));
  struct Poke {
    std::size_t at;
    std::uint8_t value;
  };
  for (Poke p :
       {Poke{sli_at, 0}, Poke{sli_at, 6}, Poke{sli_at, 255}, Poke{op_at, 6}, Poke{op_at, 200},
        Poke{period_at_, 0}, Poke{period_at_, 6}, Poke{mode_at, 0}, Poke{mode_at, 3}}) {
    Bytes b = good;
    b[p.at] = p.value;
    EXPECT_EQ(decode_spec(b).status().code(), ErrorCode::invalid_argument)
        << "byte " << p.at << " = " << int(p.value);
  }
}

// ---- the calendar
// --------------------------------------------------------------------------------

TEST(SlaCalendar, MonthlyPeriodsFollowRealMonthsAcrossALeapFebruaryAndNewYear) {
  SlaSpec s = base_spec();
  s.period_type = PeriodType::monthly;
  s.start_ms = k2023Nov01;
  s.periods = 14;
  ASSERT_TRUE(validate_spec(s).ok());
  EXPECT_EQ(period_bounds(s, 0), (PeriodBounds{k2023Nov01, k2023Dec01}));
  EXPECT_EQ(period_bounds(s, 1), (PeriodBounds{k2023Dec01, k2024Jan01}));  // Dec -> Jan
  EXPECT_EQ(period_bounds(s, 2), (PeriodBounds{k2024Jan01, k2024Feb01}));
  EXPECT_EQ(period_bounds(s, 3), (PeriodBounds{k2024Feb01, k2024Mar01}));
  EXPECT_EQ(k2024Mar01 - k2024Feb01, 29 * kDay);  // 2024 is a leap year
  EXPECT_EQ(period_bounds(s, 13), (PeriodBounds{k2024Dec01, k2025Jan01}));
  for (std::uint32_t i = 0; i < s.periods; ++i) {
    const PeriodBounds b = period_bounds(s, i);
    if (i > 0) {
      EXPECT_EQ(b.begin_ms, period_bounds(s, i - 1).end_ms);
    }
    EXPECT_EQ(period_at(s, b.begin_ms), i);
    EXPECT_EQ(period_at(s, b.end_ms - 1), i);
    EXPECT_EQ(calendar_floor(PeriodType::monthly, b.end_ms - 1), b.begin_ms);
  }
  EXPECT_EQ(period_at(s, k2024Mar01 - 1), 3u);  // 29 Feb 23:59:59.999
  EXPECT_EQ(period_at(s, k2024Mar01), 4u);
  EXPECT_EQ(period_at(s, k2025Jan01), std::nullopt);
  EXPECT_EQ(period_at(s, k2023Nov01 - 1), std::nullopt);

  SlaSpec plain = s;  // February of a common year
  plain.start_ms = k2023Feb01;
  plain.periods = 1;
  EXPECT_EQ(period_bounds(plain, 0), (PeriodBounds{k2023Feb01, k2023Mar01}));
  EXPECT_EQ(k2023Mar01 - k2023Feb01, 28 * kDay);
}

TEST(SlaCalendar, WeeksStartOnMondayUtc) {
  EXPECT_EQ(calendar_floor(PeriodType::weekly, k2024Jan01), k2024Jan01);
  EXPECT_EQ(calendar_floor(PeriodType::weekly, k2024Jan03 + 12 * kHour), k2024Jan01);
  EXPECT_EQ(calendar_floor(PeriodType::weekly, k2024Jan07 + kDay - 1), k2024Jan01);  // Sunday
  EXPECT_EQ(calendar_floor(PeriodType::weekly, k2024Jan07 + kDay), k2024Jan01 + 7 * kDay);
  // Before the epoch too: Wednesday 1969-12-31 belongs to the week of Monday 1969-12-29.
  EXPECT_EQ(calendar_floor(PeriodType::weekly, -kDay + 5), -3 * kDay);
  EXPECT_EQ(calendar_floor(PeriodType::weekly, 0), -3 * kDay);

  SlaSpec s = base_spec();
  s.period_type = PeriodType::weekly;
  s.start_ms = k2024Jan01;
  s.periods = 3;
  ASSERT_TRUE(validate_spec(s).ok());
  EXPECT_EQ(period_bounds(s, 2), (PeriodBounds{k2024Jan01 + 14 * kDay, k2024Jan01 + 21 * kDay}));
  EXPECT_EQ(period_at(s, k2024Jan07 + kDay - 1), 0u);
  EXPECT_EQ(period_at(s, k2024Jan07 + kDay), 1u);
  EXPECT_EQ(period_at(s, k2024Jan01 + 21 * kDay - 1), 2u);
  EXPECT_EQ(period_at(s, k2024Jan01 + 21 * kDay), std::nullopt);
}

TEST(SlaCalendar, FixedPeriodsAndFloors) {
  EXPECT_EQ(calendar_floor(PeriodType::hourly, k2024Jan01 + 3 * kHour + 59 * 60'000),
            k2024Jan01 + 3 * kHour);
  EXPECT_EQ(calendar_floor(PeriodType::daily, k2024Jan03 + kDay - 1), k2024Jan03);
  EXPECT_EQ(calendar_floor(PeriodType::daily, -1), -kDay);
  EXPECT_EQ(calendar_floor(PeriodType::monthly, k2024Mar01 - 1), k2024Feb01);
  EXPECT_EQ(calendar_floor(PeriodType::monthly, k2024Mar01), k2024Mar01);
  EXPECT_EQ(calendar_floor(PeriodType::custom, 12'345), 12'345);

  SlaSpec h = base_spec();
  h.period_type = PeriodType::hourly;
  h.periods = 24;
  EXPECT_EQ(period_bounds(h, 5), (PeriodBounds{k2024Jan01 + 5 * kHour, k2024Jan01 + 6 * kHour}));
  EXPECT_EQ(period_at(h, k2024Jan01 + 24 * kHour - 1), 23u);
  EXPECT_EQ(period_at(h, k2024Jan01 + 24 * kHour), std::nullopt);

  SlaSpec d = base_spec();  // daily, 30 periods
  EXPECT_EQ(period_bounds(d, 29), (PeriodBounds{k2024Jan01 + 29 * kDay, k2024Jan01 + 30 * kDay}));
  EXPECT_EQ(period_at(d, k2024Jan01), 0u);
  EXPECT_EQ(period_at(d, k2024Jan01 - 1), std::nullopt);
  EXPECT_EQ(period_at(d, k2024Jan01 + kDay - 1), 0u);
  EXPECT_EQ(period_at(d, k2024Jan01 + kDay), 1u);

  SlaSpec c = base_spec();
  c.period_type = PeriodType::custom;
  c.period_ms = 90 * 60'000;
  c.start_ms = 1'000'123;
  c.periods = 4;
  ASSERT_TRUE(validate_spec(c).ok());
  EXPECT_EQ(period_bounds(c, 3),
            (PeriodBounds{1'000'123 + 3 * c.period_ms, 1'000'123 + 4 * c.period_ms}));
  EXPECT_EQ(period_at(c, 1'000'123 + 4 * c.period_ms - 1), 3u);
  EXPECT_EQ(period_at(c, 1'000'123 + 4 * c.period_ms), std::nullopt);
  EXPECT_EQ(period_at(c, 1'000'122), std::nullopt);
}

}  // namespace
}  // namespace gpoc::sla
