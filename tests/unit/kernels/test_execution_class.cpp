// The CUDA execution class, formatted from numbers: runs on every machine, GPU or not.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "execution_class.hpp"

namespace gpoc::kernels::detail {
namespace {

TEST(CudaExecutionClass, NamesArchitectureSmCountAndToolkitWithoutCublas) {
  EXPECT_EQ(cuda_execution_class(9, 0, 132, 13000, std::nullopt), "cuda-sm90x132-cuda13.0");
  EXPECT_EQ(cuda_execution_class(9, 0, 114, 12080, std::nullopt), "cuda-sm90x114-cuda12.8");
  EXPECT_EQ(cuda_execution_class(8, 6, 84, 13020, std::nullopt), "cuda-sm86x84-cuda13.2");
  EXPECT_EQ(cuda_execution_class(10, 0, 148, 13000, std::nullopt), "cuda-sm100x148-cuda13.0");
}

TEST(CudaExecutionClass, NamesTheLoadedCublas) {
  EXPECT_EQ(cuda_execution_class(9, 0, 132, 13000, LibraryVersion{13, 1, 0}),
            "cuda-sm90x132-cuda13.0-cublas13.1.0");
  EXPECT_EQ(cuda_execution_class(9, 0, 132, 13000, LibraryVersion{13, 0, 2}),
            "cuda-sm90x132-cuda13.0-cublas13.0.2");
}

// One toolkit, two cuBLAS builds: the classes differ, so gemm_f32 replicas are never compared
// across them. Each number that makes a class is one the class cannot drop.
TEST(CudaExecutionClass, DiffersWheneverOnePartDiffers) {
  const std::string base = cuda_execution_class(9, 0, 132, 13000, LibraryVersion{13, 1, 0});
  EXPECT_NE(base, cuda_execution_class(9, 0, 132, 13000, LibraryVersion{13, 1, 1}));
  EXPECT_NE(base, cuda_execution_class(9, 0, 132, 13000, LibraryVersion{13, 2, 0}));
  EXPECT_NE(base, cuda_execution_class(9, 0, 132, 13000, std::nullopt));
  EXPECT_NE(base, cuda_execution_class(9, 0, 114, 13000, LibraryVersion{13, 1, 0}));
  EXPECT_NE(base, cuda_execution_class(8, 9, 132, 13000, LibraryVersion{13, 1, 0}));
  EXPECT_NE(base, cuda_execution_class(9, 0, 132, 13010, LibraryVersion{13, 1, 0}));
}

// The class travels in signed statements with a one-byte length (docs/PROTOCOL.md): even with
// the largest plausible numbers it stays far below 128 bytes.
TEST(CudaExecutionClass, FitsTheStatementField) {
  const std::string longest =
      cuda_execution_class(99, 99, 99999, 99990, LibraryVersion{99, 99, 99999});
  EXPECT_LE(longest.size(), 128u) << longest;
}

}  // namespace
}  // namespace gpoc::kernels::detail
