// GPOC_HD marks a kernel body that runs on both the host and the device. g++ does not know
// `__host__ __device__`, so the attributes exist only when nvcc compiles the file; the same body
// then builds into the CPU backend with g++ and into the CUDA launchers with nvcc.
#pragma once

#if defined(__CUDACC__)
#define GPOC_HD __host__ __device__
#else
#define GPOC_HD
#endif

// Asks nvcc to unroll the next loop in device code (constant indices keep small arrays in
// registers); g++ would warn about an unknown pragma, so the host pass gets nothing.
#if defined(__CUDA_ARCH__)
#define GPOC_UNROLL _Pragma("unroll")
#else
#define GPOC_UNROLL
#endif
