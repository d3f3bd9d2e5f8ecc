// The catalog and validate_task: what a requester learns before anything runs.
#include <gtest/gtest.h>

#include <string>

#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {
namespace {

TEST(Catalog, ListsTheBuiltInKernelsWithTheirDeterminismClass) {
  const std::vector<KernelInfo>& catalog = kernel_catalog();
  const std::vector<std::pair<std::string, Determinism>> expected = {
      {"sha256", Determinism::exact},        {"sort_u32", Determinism::exact},
      {"sort_u64", Determinism::exact},      {"sort_kv_u64", Determinism::exact},
      {"histogram_u32", Determinism::exact}, {"mc_option", Determinism::exact},
      {"gemm_i8", Determinism::exact},       {"gemm_f32", Determinism::arch}};
  ASSERT_EQ(catalog.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(catalog[i].id, expected[i].first);
    EXPECT_EQ(catalog[i].determinism, expected[i].second) << catalog[i].id;
  }
  for (const KernelInfo& k : catalog) {
    EXPECT_EQ(k.version, 1u);
    EXPECT_FALSE(k.summary.empty()) << k.id;
    EXPECT_FALSE(k.input_layout.empty()) << k.id;
    EXPECT_FALSE(k.output_layout.empty()) << k.id;
    EXPECT_GT(k.input_bytes_max, 0u) << k.id;
    EXPECT_GT(k.output_bytes_max, 0u) << k.id;
  }
  EXPECT_NE(catalog[1].input_layout.find("little-endian"), std::string::npos);
  EXPECT_NE(catalog[1].output_layout.find("little-endian"), std::string::npos);
}

TEST(Catalog, Sha256DeclaresRecordBytes) {
  const KernelInfo* k = find_kernel("sha256", 1);
  ASSERT_NE(k, nullptr);
  ASSERT_EQ(k->params.size(), 1u);
  const ParamSpec& p = k->params[0];
  EXPECT_EQ(p.name, "record_bytes");
  EXPECT_FALSE(p.required);
  EXPECT_EQ(p.default_value, "64");
  EXPECT_EQ(p.min_value, 1u);
  EXPECT_EQ(p.max_value, 1048576u);
  EXPECT_TRUE(find_kernel("sort_u32", 1)->params.empty());
}

TEST(Catalog, FindKernelRejectsUnknownIdsAndVersions) {
  EXPECT_EQ(find_kernel("sha256", 1), &kernel_catalog()[0]);
  EXPECT_EQ(find_kernel("sha256", 2), nullptr);
  EXPECT_EQ(find_kernel("sha256", 0), nullptr);
  EXPECT_EQ(find_kernel("sha512", 1), nullptr);
  EXPECT_EQ(find_kernel("", 1), nullptr);
}

TEST(Catalog, DeterminismNames) {
  EXPECT_EQ(determinism_name(Determinism::exact), "exact");
  EXPECT_EQ(determinism_name(Determinism::arch), "arch");
}

std::uint64_t output_bytes(std::string_view id, const Params& params, std::uint64_t input_bytes) {
  Result<std::uint64_t> r = validate_task(id, 1, params, input_bytes);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r.value() : ~std::uint64_t{0};
}

TEST(ValidateTask, ReturnsTheExactOutputSize) {
  EXPECT_EQ(output_bytes("sha256", {}, 64 * 1000), 32u * 1000);
  EXPECT_EQ(output_bytes("sha256", {}, 0), 0u);
  EXPECT_EQ(output_bytes("sha256", {{"record_bytes", "1"}}, 5), 5u * 32);
  EXPECT_EQ(output_bytes("sha256", {{"record_bytes", "1048576"}}, 2 * 1048576), 64u);
  EXPECT_EQ(output_bytes("sha256", {{"record_bytes", "1000"}}, 0), 0u);
  EXPECT_EQ(output_bytes("sort_u32", {}, 12), 12u);
  EXPECT_EQ(output_bytes("sort_u32", {}, 0), 0u);
}

// The code and the whole message of a rejected task.
Status rejection(std::string_view id, std::uint32_t version, const Params& params,
                 std::uint64_t input_bytes) {
  Result<std::uint64_t> r = validate_task(id, version, params, input_bytes);
  EXPECT_FALSE(r.ok()) << id << " was accepted with output " << (r.ok() ? r.value() : 0);
  return r.status();
}

TEST(ValidateTask, RejectsUnknownKernelsAndVersions) {
  Status s = rejection("sha512", 1, {}, 64);
  EXPECT_EQ(s.code(), ErrorCode::not_found);
  EXPECT_EQ(s.message(),
            "unknown kernel \"sha512\" (known kernels: sha256 v1, sort_u32 v1, sort_u64 v1, "
            "sort_kv_u64 v1, histogram_u32 v1, mc_option v1, gemm_i8 v1, gemm_f32 v1)");
  s = rejection("sha256", 2, {}, 64);
  EXPECT_EQ(s.code(), ErrorCode::not_found);
  EXPECT_EQ(s.message(), "kernel \"sha256\" has no version 2 (available: sha256 v1)");
}

TEST(ValidateTask, CutsLongUserSuppliedNamesShortInMessages) {
  const std::string id(10000, 'x');
  Status s = rejection(id, 1, {}, 64);
  EXPECT_EQ(s.message().rfind("unknown kernel \"" + std::string(64, 'x') + "...\" (known", 0), 0u);
  // The 64 characters kept, the quotes and ellipsis, and the list of known kernels.
  EXPECT_LT(s.message().size(),
            100u + std::string_view("(known kernels: )").size() +
                std::string("sha256 v1, sort_u32 v1, sort_u64 v1, sort_kv_u64 v1, "
                            "histogram_u32 v1, mc_option v1, gemm_i8 v1, "
                            "gemm_f32 v1")
                    .size());
}

TEST(ValidateTask, RejectsInputsThatAreNotWholeRecords) {
  Status s = rejection("sha256", 1, {}, 1001);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(), "sha256: input of 1001 bytes is not a multiple of record_bytes=64");
  s = rejection("sha256", 1, {{"record_bytes", "1000"}}, 1999);
  EXPECT_EQ(s.message(), "sha256: input of 1999 bytes is not a multiple of record_bytes=1000");
  s = rejection("sort_u32", 1, {}, 7);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "sort_u32: input of 7 bytes is not a multiple of 4 (little-endian u32 values)");
}

TEST(ValidateTask, RejectsValuesThatAreNotCanonicalDecimals) {
  for (const char* bad : {"abc", "", "-1", "+64", " 64", "64 ", "064", "6.4", "0x40",
                          "18446744073709551616", "99999999999999999999999"}) {
    Status s = rejection("sha256", 1, {{"record_bytes", bad}}, 64);
    EXPECT_EQ(s.code(), ErrorCode::invalid_argument) << bad;
    EXPECT_EQ(s.message(),
              "sha256: parameter record_bytes=\"" + std::string(bad) +
                  "\" is not a decimal integer (digits only, no sign or leading zeros)");
  }
}

TEST(ValidateTask, RejectsValuesOutOfRange) {
  Status s = rejection("sha256", 1, {{"record_bytes", "0"}}, 0);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(), "sha256: parameter record_bytes=\"0\" is out of range [1, 1048576]");
  s = rejection("sha256", 1, {{"record_bytes", "1048577"}}, 1048577);
  EXPECT_EQ(s.message(), "sha256: parameter record_bytes=\"1048577\" is out of range [1, 1048576]");
}

TEST(ValidateTask, RejectsUnknownAndRepeatedParameters) {
  Status s = rejection("sha256", 1, {{"record_size", "64"}}, 64);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(), "sha256: unknown parameter \"record_size\" (parameters: record_bytes)");
  s = rejection("sort_u32", 1, {{"record_bytes", "4"}}, 8);
  EXPECT_EQ(s.message(),
            "sort_u32: unknown parameter \"record_bytes\" (this kernel takes no parameters)");
  s = rejection("sha256", 1, {{"record_bytes", "64"}, {"record_bytes", "64"}}, 64);
  EXPECT_EQ(s.message(), "sha256: parameter record_bytes is given more than once");
}

TEST(ValidateTask, RejectsInputsAndOutputsOverTheLimits) {
  const KernelInfo& sha = *find_kernel("sha256", 1);
  Status s = rejection("sha256", 1, {}, sha.input_bytes_max + 64);
  EXPECT_EQ(s.code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(s.message(),
            "sha256: input of " + std::to_string(sha.input_bytes_max + 64) +
                " bytes exceeds input_bytes_max=" + std::to_string(sha.input_bytes_max) +
                "; split the data across several tasks");
  // One-byte records turn each input byte into 32 output bytes.
  const std::uint64_t records = sha.output_bytes_max / 32 + 1;
  s = rejection("sha256", 1, {{"record_bytes", "1"}}, records);
  EXPECT_EQ(s.code(), ErrorCode::resource_exhausted);
  EXPECT_NE(s.message().find("exceeds output_bytes_max=" + std::to_string(sha.output_bytes_max)),
            std::string::npos)
      << s.message();
  EXPECT_EQ(output_bytes("sha256", {{"record_bytes", "1"}}, records - 1), (records - 1) * 32);
  const KernelInfo& sort = *find_kernel("sort_u32", 1);
  EXPECT_EQ(rejection("sort_u32", 1, {}, sort.input_bytes_max + 4).code(),
            ErrorCode::resource_exhausted);
  EXPECT_EQ(output_bytes("sort_u32", {}, sort.input_bytes_max), sort.input_bytes_max);
}

}  // namespace
}  // namespace gpoc::kernels
