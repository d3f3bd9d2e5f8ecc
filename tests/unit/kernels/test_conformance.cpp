// One conformance suite for every backend: the CPU always, CUDA when a device is present (skipped
// with the reason otherwise). Each backend is held to independent references: OpenSSL and the
// NIST vectors for sha256, std::sort for sort_u32, gpoc::result_digest for digests.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "conformance_fixture.hpp"
#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/kernels.hpp"
#include "test_util.hpp"

namespace gpoc::kernels {
namespace {

using testing::encode_u32_le;
using testing::random_bytes;
using testing::sha256_records_reference;
using testing::u32_pattern;

TYPED_TEST_SUITE(KernelConformance, Backends, BackendName);

bool is_made_of(std::string_view s, std::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}
constexpr std::string_view kDigits = "0123456789";

// "13.0", "9.0"
bool is_major_minor(std::string_view s) {
  const std::size_t dot = s.find('.');
  return dot != std::string_view::npos && is_made_of(s.substr(0, dot), kDigits) &&
         is_made_of(s.substr(dot + 1), kDigits);
}

// "13.1.0"
bool is_major_minor_patch(std::string_view s) {
  const std::size_t dot = s.find('.');
  return dot != std::string_view::npos && is_made_of(s.substr(0, dot), kDigits) &&
         is_major_minor(s.substr(dot + 1));
}

// "cuda-sm90x132-cuda13.0", then "-cublas13.1.0" when cuBLAS is loaded: GPU architecture, SM
// count, toolkit and cuBLAS.
bool is_cuda_execution_class(std::string_view s) {
  if (!s.starts_with("cuda-sm")) return false;
  s.remove_prefix(7);
  const std::size_t x = s.find('x');
  const std::size_t dash = s.find("-cuda");
  if (x == std::string_view::npos || dash == std::string_view::npos || x > dash) return false;
  std::string_view toolkit = s.substr(dash + 5);
  const std::size_t cublas = toolkit.find("-cublas");
  if (cublas != std::string_view::npos) {
    if (!is_major_minor_patch(toolkit.substr(cublas + 7))) return false;
    toolkit = toolkit.substr(0, cublas);
  }
  return is_made_of(s.substr(0, x), kDigits) &&
         is_made_of(s.substr(x + 1, dash - x - 1), kDigits) && is_major_minor(toolkit);
}

TEST(ExecutionClass, CudaClassNamesArchitectureSmCountToolkitAndCublas) {
  EXPECT_TRUE(is_cuda_execution_class("cuda-sm90x132-cuda13.0"));
  EXPECT_TRUE(is_cuda_execution_class("cuda-sm90x114-cuda13.0"));
  EXPECT_TRUE(is_cuda_execution_class("cuda-sm90x132-cuda13.0-cublas13.1.0"));
  EXPECT_FALSE(is_cuda_execution_class("cuda-sm90-cuda13.0"));  // no SM count
  EXPECT_FALSE(is_cuda_execution_class("cuda-sm90x-cuda13.0"));
  EXPECT_FALSE(is_cuda_execution_class("cuda-smx132-cuda13.0"));
  EXPECT_FALSE(is_cuda_execution_class("cuda-sm90x132-cuda13"));
  EXPECT_FALSE(is_cuda_execution_class("cuda-sm90x132-cuda13.0-cublas13.1"));
  EXPECT_FALSE(is_cuda_execution_class("cuda-sm90x132-cuda13.0-cublas"));
  EXPECT_FALSE(is_cuda_execution_class("cuda-sm90x132-cublas13.1.0"));
}

TYPED_TEST(KernelConformance, DescribesItself) {
  const std::string name(this->backend_->name());
  const std::string execution_class = this->backend_->execution_class();
  const DeviceDescription device = this->backend_->device();
  EXPECT_EQ(device.backend, name);
  EXPECT_FALSE(device.name.empty());
  EXPECT_GT(device.memory_bytes, 0u);
  EXPECT_GE(device.count, 1u);
  if (name == "cpu") {
    EXPECT_TRUE(execution_class.starts_with("cpu-")) << execution_class;
    EXPECT_TRUE(is_made_of(execution_class.substr(4), "abcdefghijklmnopqrstuvwxyz0123456789_"))
        << execution_class;
  } else {
    EXPECT_EQ(name, "cuda");
    EXPECT_TRUE(is_major_minor(device.compute_capability)) << device.compute_capability;
    EXPECT_TRUE(is_cuda_execution_class(execution_class)) << execution_class;
    // The class names cuBLAS exactly when cuBLAS is loaded, which is when gemm_f32 runs here.
    EXPECT_EQ(execution_class.find("-cublas") != std::string::npos,
              this->backend_->supports("gemm_f32", 1))
        << execution_class;
  }
}

TYPED_TEST(KernelConformance, Sha256NistVectors) {
  EXPECT_EQ(to_hex(this->sha256_records(3, as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(this->sha256_records(
                56, as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      to_hex(this->sha256_records(
          112,
          as_bytes(
              "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
              "klmnopqrlmnopqrsmnopqrstnopqrstu"))),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  const std::string million(1'000'000, 'a');
  EXPECT_EQ(to_hex(this->sha256_records(million.size(), as_bytes(million))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(to_hex(this->sha256_records(3, as_bytes("abcabc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Record sizes on both sides of every SHA-256 padding boundary, record counts around the
// launcher's block size and the digest's 4096-byte leaves. Whole-block sizes of 512 bytes and
// more take the GPU's staged long-record path; 33 records is one warp and one more.
TYPED_TEST(KernelConformance, Sha256MatchesOpenSslPerRecord) {
  for (std::size_t record_bytes : {1, 55, 56, 63, 64, 65, 119, 120, 1000}) {
    for (std::size_t records : {0, 1, 2, 3, 31, 255, 1000, 4097}) {
      SCOPED_TRACE("record_bytes=" + std::to_string(record_bytes) +
                   " records=" + std::to_string(records));
      const Bytes input = random_bytes(record_bytes * records, record_bytes * 10007 + records);
      const Bytes output = this->sha256_records(record_bytes, input);
      ASSERT_EQ(output.size(), records * 32);
      ASSERT_EQ(output, sha256_records_reference(input, record_bytes));
    }
  }
  for (std::size_t record_bytes : {448, 512, 576, 4096}) {
    for (std::size_t records : {1, 31, 32, 33, 129, 1000}) {
      SCOPED_TRACE("record_bytes=" + std::to_string(record_bytes) +
                   " records=" + std::to_string(records));
      const Bytes input = random_bytes(record_bytes * records, record_bytes * 10007 + records);
      const Bytes output = this->sha256_records(record_bytes, input);
      ASSERT_EQ(output.size(), records * 32);
      ASSERT_EQ(output, sha256_records_reference(input, record_bytes));
    }
  }
}

TYPED_TEST(KernelConformance, Sha256DefaultsToSixtyFourByteRecords) {
  const Bytes input = random_bytes(64 * 10, 64);
  EXPECT_EQ(this->run_ok("sha256", {}, input), sha256_records_reference(input, 64));
}

TYPED_TEST(KernelConformance, EmptyInputGivesEmptyOutputAndTheEmptyDigest) {
  for (const char* id : {"sha256", "sort_u32"}) {
    Result<KernelOutput> out = this->backend_->run(id, 1, {}, ByteView{});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_TRUE(out->data.empty()) << id;
    EXPECT_EQ(to_hex(out->digest),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}

TYPED_TEST(KernelConformance, SortMatchesStdSort) {
  for (std::size_t count : {0, 1, 2, 1023, 4097, 100003}) {
    for (int pattern = 0; pattern < testing::kU32Patterns; ++pattern) {
      SCOPED_TRACE("count=" + std::to_string(count) + " pattern=" + std::to_string(pattern));
      std::vector<std::uint32_t> values = u32_pattern(count, pattern, count * 31 + pattern);
      const Bytes input = encode_u32_le(values);
      std::sort(values.begin(), values.end());
      ASSERT_EQ(this->run_ok("sort_u32", {}, input), encode_u32_le(values));
    }
  }
}

// Written out byte by byte, so a backend reading the values big-endian fails here even though
// the std::sort reference above shares the test's own encoder.
TYPED_TEST(KernelConformance, SortReadsAndWritesLittleEndian) {
  const Bytes input = {0x00, 0x00, 0x00, 0x01,   // 0x01000000
                       0x02, 0x00, 0x00, 0x00,   // 2
                       0xff, 0xff, 0xff, 0xff,   // 0xffffffff
                       0x00, 0x00, 0x00, 0x00,   // 0
                       0x02, 0x00, 0x00, 0x00};  // 2 again
  const Bytes expected = {0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(this->run_ok("sort_u32", {}, input), expected);
}

TYPED_TEST(KernelConformance, DigestMatchesResultDigest) {
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{4097},
        std::size_t{3 * 4096 + 1}, std::size_t{(1u << 20) + 3}}) {
    const Bytes data = random_bytes(size, 500 + size);
    Result<Digest32> digest = this->backend_->digest(data);
    ASSERT_TRUE(digest.ok()) << digest.status().to_string();
    EXPECT_EQ(digest.value(), result_digest(data)) << "size " << size;
  }
}

// Two leaves by hand, independently of merkle.cpp: node(leaf(first 4096 bytes), leaf(last byte)).
TYPED_TEST(KernelConformance, DigestOfTwoLeavesByHand) {
  const Bytes data(4097, 0x61);
  const std::uint8_t leaf = 0x00, node = 0x01;
  const Digest32 left = sha256_concat({ByteView(&leaf, 1), ByteView(data).first(4096)});
  const Digest32 right = sha256_concat({ByteView(&leaf, 1), ByteView(data).last(1)});
  const Digest32 root = sha256_concat({ByteView(&node, 1), ByteView(left), ByteView(right)});
  Result<Digest32> digest = this->backend_->digest(data);
  ASSERT_TRUE(digest.ok()) << digest.status().to_string();
  EXPECT_EQ(digest.value(), root);
}

TYPED_TEST(KernelConformance, RunRejectsInvalidTasksWithoutRunning) {
  Result<KernelOutput> out = this->backend_->run("sha256", 1, {}, random_bytes(1001, 1));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(out.status().message(),
            "sha256: input of 1001 bytes is not a multiple of record_bytes=64");
  out = this->backend_->run("sort_u32", 2, {}, random_bytes(8, 2));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::not_found);
  out = this->backend_->run("sha256", 1, {{"record_bytes", "0"}}, random_bytes(8, 3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::invalid_argument);
}

TYPED_TEST(KernelConformance, RepeatedRunsAreIdentical) {
  const Bytes input = random_bytes(4 * 50000, 77);
  const Bytes first = this->run_ok("sort_u32", {}, input);
  EXPECT_EQ(this->run_ok("sort_u32", {}, input), first);
  const Bytes hashes = this->sha256_records(100, input);
  EXPECT_EQ(this->sha256_records(100, input), hashes);
}

}  // namespace
}  // namespace gpoc::kernels
