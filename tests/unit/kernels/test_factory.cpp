// Backend choice: CUDA only when compiled and a device is present, the CPU otherwise, always with
// a reason.
#include <gtest/gtest.h>

#include <string>

#include "gpoc/kernels/kernels.hpp"

namespace gpoc::kernels {
namespace {

TEST(Factory, CudaCompiledMatchesTheBuild) {
  EXPECT_EQ(cuda_compiled(), GPOC_TEST_CUDA_COMPILED == 1);
}

TEST(Factory, ForcedCpuGivesTheCpuBackend) {
  std::string reason;
  std::unique_ptr<Backend> backend = make_backend(true, &reason);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "cpu");
  EXPECT_EQ(reason, "cpu: the CPU backend was forced");
}

TEST(Factory, PrefersCudaAndOtherwiseSaysWhyNot) {
  std::string reason;
  std::unique_ptr<Backend> backend = make_backend(false, &reason);
  ASSERT_NE(backend, nullptr);
  Result<std::unique_ptr<Backend>> cuda = make_cuda_backend(0);
  if (cuda.ok()) {
    EXPECT_EQ(backend->name(), "cuda");
    EXPECT_EQ(reason.rfind("cuda: device 0, ", 0), 0u) << reason;
  } else {
    EXPECT_EQ(cuda.status().code(), ErrorCode::unavailable);
    EXPECT_EQ(backend->name(), "cpu");
    EXPECT_EQ(reason, "cpu: CUDA backend unavailable: " + cuda.status().message());
  }
  EXPECT_NE(make_backend(false, nullptr), nullptr);  // the reason is optional
}

TEST(Factory, CudaBackendUnavailableWithoutBuildOrDevice) {
  if (!cuda_compiled()) {
    Result<std::unique_ptr<Backend>> cuda = make_cuda_backend(0);
    ASSERT_FALSE(cuda.ok());
    EXPECT_EQ(cuda.status().code(), ErrorCode::unavailable);
    EXPECT_NE(cuda.status().message().find("no CUDA backend"), std::string::npos);
  }
  // No process has a device at ordinal -1 or 1 << 20, GPU or not.
  for (int ordinal : {-1, 1 << 20}) {
    Result<std::unique_ptr<Backend>> cuda = make_cuda_backend(ordinal);
    ASSERT_FALSE(cuda.ok()) << ordinal;
    EXPECT_EQ(cuda.status().code(), ErrorCode::unavailable);
    EXPECT_FALSE(cuda.status().message().empty());
  }
}

}  // namespace
}  // namespace gpoc::kernels
