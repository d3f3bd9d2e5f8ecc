// The typed fixture every kernel's conformance suite shares: the CPU backend always, CUDA when a
// device is present (skipped with the reason otherwise). A suite for one kernel family derives
// from KernelConformance and registers itself with
//   TYPED_TEST_SUITE(MySuite, Backends, BackendName);
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>

#include "gpoc/common/merkle.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {

struct CpuBackendMaker {
  static constexpr bool kMaySkip = false;  // the CPU backend must always be there
  static Result<std::unique_ptr<Backend>> make() { return make_cpu_backend(); }
};

struct CudaBackendMaker {
  static constexpr bool kMaySkip = true;
  static Result<std::unique_ptr<Backend>> make() { return make_cuda_backend(0); }
};

template <typename Maker>
class KernelConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Backend>> made = Maker::make();
    if (!made.ok() && Maker::kMaySkip) GTEST_SKIP() << made.status().message();
    ASSERT_TRUE(made.ok()) << made.status().to_string();
    backend_ = std::move(made).value();
  }

  // Runs a task that must succeed, and checks the digest it reports against the reference.
  Bytes run_ok(std::string_view id, const Params& params, ByteView input) {
    Result<KernelOutput> out = backend_->run(id, 1, params, input);
    EXPECT_TRUE(out.ok()) << out.status().to_string();
    if (!out.ok()) return {};
    EXPECT_EQ(out->digest, result_digest(out->data)) << id << " on " << backend_->name();
    return std::move(out.value().data);
  }

  Bytes sha256_records(std::size_t record_bytes, ByteView input) {
    return run_ok("sha256", {{"record_bytes", std::to_string(record_bytes)}}, input);
  }

  std::unique_ptr<Backend> backend_;
};

struct BackendName {
  template <typename Maker>
  static std::string GetName(int) {
    return std::is_same_v<Maker, CpuBackendMaker> ? "cpu" : "cuda";
  }
};

using Backends = ::testing::Types<CpuBackendMaker, CudaBackendMaker>;

}  // namespace gpoc::kernels
