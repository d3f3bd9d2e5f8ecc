// gemm_i8 and gemm_f32 on every backend (the CPU always, CUDA when a device is present), held to
// plain triple loops written here: int64 for gemm_i8; for gemm_f32 the promised summation order
// on the CPU (bitwise) and a double-precision product within the float rounding bound everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "conformance_fixture.hpp"
#include "cuda/cublas_library.hpp"
#include "gemm_test_util.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {
namespace {

using testing::Shape;
using testing::shape_text;

template <typename Maker>
class GemmConformance : public KernelConformance<Maker> {
 public:  // check_gemm_f32 below runs through these
  Bytes gemm(std::string_view id, const Shape& s, ByteView input) {
    return this->run_ok(id, testing::gemm_params(s), input);
  }

  bool on_cpu() const { return this->backend_->name() == "cpu"; }

  // gemm_f32 runs on the CUDA backend only where cuBLAS could be loaded.
  bool skip_without_f32() {
    if (this->backend_->supports("gemm_f32", 1)) return false;
    Result<KernelOutput> out =
        this->backend_->run("gemm_f32", 1, testing::gemm_params({1, 1, 1}), Bytes(8, 0));
    EXPECT_EQ(out.status().code(), ErrorCode::unavailable);
    EXPECT_NE(out.status().message().find("libcublas.so"), std::string::npos)
        << out.status().message();
    return true;
  }

  Status run_error(std::string_view id, const Params& params, std::size_t input_bytes) {
    Result<KernelOutput> out = this->backend_->run(id, 1, params, Bytes(input_bytes, 0));
    EXPECT_FALSE(out.ok()) << id << " ran with " << input_bytes << " bytes";
    return out.status();
  }
};

TYPED_TEST_SUITE(GemmConformance, Backends, BackendName);

// Edges: 1x1x1, primes, non-multiples of 16 (the WMMA fragment) and of the GPU tiles (128 x 128,
// 32 deep), exact tiles and one more or less, thin and deep shapes.
const std::vector<Shape> kShapes = {{1, 1, 1},      {2, 3, 5},      {7, 11, 13},    {17, 33, 65},
                                    {16, 16, 16},   {15, 17, 31},   {128, 128, 32}, {129, 127, 33},
                                    {127, 129, 95}, {131, 257, 67}, {1, 300, 1},    {300, 1, 1},
                                    {1, 1, 1000},   {3, 5, 4099},   {257, 130, 161}};

TYPED_TEST(GemmConformance, GemmI8MatchesTripleLoop) {
  std::uint64_t seed = 1;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(shape_text(s));
    const std::vector<std::int8_t> a = testing::random_i8(s.m * s.k, ++seed);
    const std::vector<std::int8_t> b = testing::random_i8(s.k * s.n, ++seed);
    const Bytes out = this->gemm("gemm_i8", s, testing::pack_i8(a, b));
    ASSERT_EQ(out.size(), 4 * s.m * s.n);
    const std::vector<std::int64_t> expected = testing::product_i64(s, a, b);
    const std::vector<std::int32_t> got = testing::decode_i32(out);
    for (std::size_t x = 0; x < expected.size(); ++x) {
      ASSERT_EQ(got[x], expected[x]) << "C[" << x / s.n << "][" << x % s.n << "]";
    }
  }
}

// The largest sums there are: k = 65536 (the maximum) products of -128 * -128 = 2^14 make 2^30,
// and -128 * 127 makes -1065353216, at a shape that fits no tile.
TYPED_TEST(GemmConformance, GemmI8ExtremesAtTheLargestK) {
  const Shape s{17, 19, 65536};
  const std::int8_t row_value[2] = {-128, 127};     // row i of A: all row_value[i % 2]
  const std::int8_t col_value[3] = {-128, 127, 0};  // column j of B: all col_value[j % 3]
  std::vector<std::int8_t> a(s.m * s.k), b(s.k * s.n);
  for (std::uint64_t i = 0; i < s.m; ++i) {
    std::fill_n(a.begin() + static_cast<std::ptrdiff_t>(i * s.k), s.k, row_value[i % 2]);
  }
  for (std::uint64_t x = 0; x < b.size(); ++x) b[x] = col_value[x % s.n % 3];
  const std::vector<std::int32_t> got =
      testing::decode_i32(this->gemm("gemm_i8", s, testing::pack_i8(a, b)));
  ASSERT_EQ(got.size(), s.m * s.n);
  const std::int32_t expected[2][3] = {{1073741824, -1065353216, 0},   // -128 * (-128, 127, 0)
                                       {-1065353216, 1057030144, 0}};  // 127 * (-128, 127, 0)
  for (std::uint64_t i = 0; i < s.m; ++i) {
    for (std::uint64_t j = 0; j < s.n; ++j) {
      ASSERT_EQ(got[i * s.n + j], expected[i % 2][j % 3]) << "C[" << i << "][" << j << "]";
    }
  }
}

// Written out byte by byte: two's-complement int8 in, little-endian int32 out.
TYPED_TEST(GemmConformance, GemmI8ReadsInt8AndWritesLittleEndian) {
  // A = [-1 2], B = [[-128 1], [127 0]]: C = [128 + 254, -1] = [382, -1].
  const Bytes input = {0xff, 0x02, 0x80, 0x01, 0x7f, 0x00};
  const Bytes expected = {0x7e, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(this->gemm("gemm_i8", {1, 2, 2}, input), expected);
}

// |c - exact| for any float summation order: gamma_k (|A| |B|)_ij for rounding, k 2^-150 for
// products that underflow, 2^-30 (|A| |B|)_ij for the double reference's own rounding.
double float_error_bound(std::uint64_t k, double abs_sum) {
  const double ku = std::ldexp(static_cast<double>(k), -24);
  return (ku / (1 - ku) + std::ldexp(1.0, -30)) * abs_sum +
         std::ldexp(static_cast<double>(k), -150);
}

struct F32Case {
  Shape shape;
  int a_exponent_min, a_exponent_max;
  int b_exponent_min, b_exponent_max;
};

template <typename Suite>
void check_gemm_f32(Suite& suite, const F32Case& c, std::uint64_t seed) {
  const Shape& s = c.shape;
  SCOPED_TRACE(shape_text(s) + " exponents A [" + std::to_string(c.a_exponent_min) + ", " +
               std::to_string(c.a_exponent_max) + "] B [" + std::to_string(c.b_exponent_min) +
               ", " + std::to_string(c.b_exponent_max) + "]");
  const std::vector<float> a =
      testing::random_f32(s.m * s.k, seed, c.a_exponent_min, c.a_exponent_max);
  const std::vector<float> b =
      testing::random_f32(s.k * s.n, seed + 1000, c.b_exponent_min, c.b_exponent_max);
  const Bytes out = suite.gemm("gemm_f32", s, testing::pack_f32(a, b));
  ASSERT_EQ(out.size(), 4 * s.m * s.n);
  if (suite.on_cpu()) {
    ASSERT_EQ(out, testing::encode_f32(testing::product_f32_in_order(s, a, b)));
  }
  const std::vector<float> got = testing::decode_f32(out);
  const testing::DoubleProduct exact = testing::product_f64(s, a, b);
  for (std::size_t x = 0; x < got.size(); ++x) {
    const double error = std::fabs(double{got[x]} - exact.c[x]);
    ASSERT_LE(error, float_error_bound(s.k, exact.abs_c[x]))
        << "C[" << x / s.n << "][" << x % s.n << "] = " << got[x] << ", exact " << exact.c[x];
  }
}

TYPED_TEST(GemmConformance, GemmF32MatchesOrderedLoopOnCpuAndBoundEverywhere) {
  if (this->skip_without_f32()) GTEST_SKIP() << "cuBLAS is not loadable on this machine";
  std::uint64_t seed = 100;
  for (const Shape& s : kShapes) check_gemm_f32(*this, {s, 0, 0, 0, 0}, seed += 7);
}

// Wide dynamic range; products that underflow to subnormals; subnormal inputs times large ones
// (a backend that flushed subnormals to zero would miss the bound here).
TYPED_TEST(GemmConformance, GemmF32WideRangeAndSubnormals) {
  if (this->skip_without_f32()) GTEST_SKIP() << "cuBLAS is not loadable on this machine";
  const std::vector<F32Case> cases = {
      {{33, 17, 129}, -20, 20, -20, 20},
      {{33, 17, 129}, -70, -60, -75, -65},
      {{19, 21, 64}, -140, -120, 0, 20},
      {{19, 21, 64}, 0, 20, -140, -120},
  };
  std::uint64_t seed = 500;
  for (const F32Case& c : cases) check_gemm_f32(*this, c, seed += 3);
}

TYPED_TEST(GemmConformance, GemmF32ExactSumsAndByteOrder) {
  if (this->skip_without_f32()) GTEST_SKIP() << "cuBLAS is not loadable on this machine";
  // A = [1 2; 3 4], B = [5 6; 7 8]: every product and sum is exact, so every order agrees.
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  EXPECT_EQ(testing::decode_f32(this->gemm("gemm_f32", {2, 2, 2}, testing::pack_f32(a, b))),
            (std::vector<float>{19, 22, 43, 50}));
  // Little-endian binary32: 1.5 * 2 = 3.0f = 0x40400000.
  const Bytes input = {0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0x40};
  EXPECT_EQ(this->gemm("gemm_f32", {1, 1, 1}, input), (Bytes{0x00, 0x00, 0x40, 0x40}));
}

TYPED_TEST(GemmConformance, RepeatedRunsAreIdentical) {
  const Shape s{100, 70, 300};
  const Bytes i8 =
      testing::pack_i8(testing::random_i8(s.m * s.k, 5), testing::random_i8(s.k * s.n, 6));
  const Bytes first_i8 = this->gemm("gemm_i8", s, i8);
  EXPECT_EQ(this->gemm("gemm_i8", s, i8), first_i8);
  if (this->skip_without_f32()) GTEST_SKIP() << "cuBLAS is not loadable on this machine";
  // gemm_f32 is class `arch`: bitwise equal within one backend and device, not across them.
  const Bytes f32 = testing::pack_f32(testing::random_f32(s.m * s.k, 7, -3, 3),
                                      testing::random_f32(s.k * s.n, 8, -3, 3));
  const Bytes first_f32 = this->gemm("gemm_f32", s, f32);
  EXPECT_EQ(this->gemm("gemm_f32", s, f32), first_f32);
}

TYPED_TEST(GemmConformance, RejectsBadParamsAndSizesWithExactMessages) {
  Status s = this->run_error("gemm_i8", {{"m", "2"}, {"n", "2"}}, 8);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(), "gemm_i8: missing required parameter k");
  s = this->run_error("gemm_i8", {{"k", "65537"}, {"m", "1"}, {"n", "1"}}, 2);
  EXPECT_EQ(s.message(), "gemm_i8: parameter k=\"65537\" is out of range [1, 65536]");
  s = this->run_error("gemm_f32", {{"k", "1"}, {"m", "0"}, {"n", "1"}}, 4);
  EXPECT_EQ(s.message(), "gemm_f32: parameter m=\"0\" is out of range [1, 65536]");
  s = this->run_error("gemm_i8", {{"k", "4"}, {"m", "2"}, {"n", "3"}, {"p", "1"}}, 20);
  EXPECT_EQ(s.message(), "gemm_i8: unknown parameter \"p\" (parameters: m, n, k)");
  s = this->run_error("gemm_i8", testing::gemm_params({2, 3, 4}), 19);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(s.message(),
            "gemm_i8: input of 19 bytes is not m*k + k*n = 20 bytes (A m x k then B k x n, int8) "
            "for m=2, n=3, k=4");
  s = this->run_error("gemm_i8", testing::gemm_params({2, 3, 4}), 21);
  EXPECT_EQ(s.code(), ErrorCode::invalid_argument);
  s = this->run_error("gemm_f32", testing::gemm_params({2, 3, 4}), 20);
  EXPECT_EQ(s.message(),
            "gemm_f32: input of 20 bytes is not 4*(m*k + k*n) = 80 bytes (A m x k then B k x n, "
            "float32) for m=2, n=3, k=4");
  // C would be 4 * 65536 * 65536 bytes, though the input is small.
  s = this->run_error("gemm_i8", testing::gemm_params({65536, 65536, 1}), 131072);
  EXPECT_EQ(s.code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(s.message(),
            "gemm_i8: output of 17179869184 bytes exceeds output_bytes_max=1073741824; split the "
            "data across several tasks");
}

TYPED_TEST(GemmConformance, SaysWhichKernelsItSupports) {
  EXPECT_TRUE(this->backend_->supports("gemm_i8", 1));
  EXPECT_TRUE(this->backend_->supports("sha256", 1));
  EXPECT_FALSE(this->backend_->supports("gemm_i8", 2));
  EXPECT_FALSE(this->backend_->supports("gemm_i4", 1));
  if (this->on_cpu()) {
    for (const KernelInfo& k : kernel_catalog()) {
      EXPECT_TRUE(this->backend_->supports(k.id, k.version)) << k.id;
    }
  }
#if GPOC_TEST_CUDA_COMPILED
  if (!this->on_cpu()) {
    EXPECT_EQ(this->backend_->supports("gemm_f32", 1), detail::cublas_library().ok());
  }
#endif
}

TEST(GemmCatalog, DeclaresShapeParametersAndDeterminism) {
  for (const char* id : {"gemm_i8", "gemm_f32"}) {
    SCOPED_TRACE(id);
    const KernelInfo* k = find_kernel(id, 1);
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(k->params.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(k->params[i].name, std::string(1, "mnk"[i]));
      EXPECT_TRUE(k->params[i].required);
      EXPECT_EQ(k->params[i].min_value, 1u);
      EXPECT_EQ(k->params[i].max_value, 65536u);
    }
    EXPECT_NE(k->output_layout.find("little-endian"), std::string::npos);
    EXPECT_NE(k->input_layout.find("row-major"), std::string::npos);
    EXPECT_FALSE(k->certificate.empty());
  }
  EXPECT_EQ(find_kernel("gemm_i8", 1)->determinism, Determinism::exact);
  EXPECT_NE(find_kernel("gemm_i8", 1)->output_layout.find("131071"), std::string::npos);
  EXPECT_EQ(find_kernel("gemm_f32", 1)->determinism, Determinism::arch);
}

TEST(GemmCatalog, ValidatesSizesWithoutData) {
  Result<std::uint64_t> out = validate_task("gemm_i8", 1, testing::gemm_params({3, 5, 7}), 56);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value(), 60u);
  out = validate_task("gemm_f32", 1, testing::gemm_params({3, 5, 7}), 224);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value(), 60u);
  // The largest shape: A alone would be 4 GiB.
  out = validate_task("gemm_i8", 1, testing::gemm_params({65536, 65536, 65536}),
                      std::uint64_t{2} << 32);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(out.status().message(),
            "gemm_i8: input of 8589934592 bytes exceeds input_bytes_max=1073741824; split the data "
            "across several tasks");
}

#if GPOC_TEST_CUDA_COMPILED
// Runs without a GPU: loading the library and resolving its entry points needs no device.
TEST(GemmCublas, LoadsTheLibraryOrSaysWhy) {
  Result<std::string> library = detail::cublas_library();
  if (library.ok()) {
    EXPECT_EQ(library.value().rfind("libcublas.so", 0), 0u) << library.value();
    EXPECT_NE(library.value().find("(cuBLAS "), std::string::npos) << library.value();
  } else {
    EXPECT_EQ(library.status().code(), ErrorCode::unavailable);
    EXPECT_NE(library.status().message().find("libcublas.so."), std::string::npos)
        << library.status().message();
  }
  // The answer is fixed for the process.
  EXPECT_EQ(detail::cublas_library().ok(), library.ok());
}
#endif

}  // namespace
}  // namespace gpoc::kernels
