#!/usr/bin/env bash
# Quick start, second command: install, build, and run the whole test suite with ctest.
# GPU tests skip with the reason when no CUDA device is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${GPOC_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
