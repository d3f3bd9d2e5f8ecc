#!/usr/bin/env bash
# Configures and builds gpoc into build/ (executables in build/bin/). The CUDA backend is added
# when nvcc is found (GPOC_CUDA=AUTO); extra CMake arguments pass through, e.g.
#   scripts/build.sh -DGPOC_CUDA=OFF      scripts/build.sh -DCMAKE_CUDA_ARCHITECTURES=80
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GPOC_BUILD_DIR:-build}
if [ -z "${CUDACXX:-}" ] && ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cmake -S . -B "$build" -G Ninja "$@"
cmake --build "$build" -j "$(nproc)"
