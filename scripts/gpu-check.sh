#!/usr/bin/env bash
# The checks that need a GPU, in one command, on a build made with the CUDA backend:
#   1. the CUDA conformance suite (every GPU result against the CPU backend's references),
#   2. the same suite under compute-sanitizer's memcheck and racecheck,
#   3. the GPU benchmarks, as Google Benchmark JSON (docs/BENCHMARKS.md says how to read them).
# Everything lands in OUT_DIR. Exits 2 when no GPU is visible, 1 when a check fails.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/gpu-check.sh [BUILD_DIR [OUT_DIR]]

  BUILD_DIR  a build with the CUDA backend (default: build)
  OUT_DIR    where the logs and the benchmark JSON go (default: gpu-report)

Environment:
  GPOC_RUN            a command to run each executable with (e.g. a wrapper that sets
                      LD_LIBRARY_PATH on a machine without the build's libraries)
  COMPUTE_SANITIZER   compute-sanitizer to use (default: the one on PATH, else
                      /usr/local/cuda/bin/compute-sanitizer)
  GPOC_BENCH_ARGS     extra arguments for gpoc_bench_gpu (e.g. --benchmark_filter=Sort)
EOF
}

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
build=${1:-build}
out=${2:-gpu-report}
# shellcheck disable=SC2206  # GPOC_RUN is a command line, split on purpose
run=(${GPOC_RUN:-})
tests="$build/bin/test_kernels"
bench="$build/bin/gpoc_bench_gpu"

for exe in "$tests" "$bench"; do
  if [[ ! -x "$exe" ]]; then
    echo "gpu-check: $exe is missing: build with the CUDA backend first" \
      "(scripts/build.sh -DGPOC_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90)" >&2
    exit 1
  fi
done
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU is visible here (nvidia-smi -L fails); nothing to check" >&2
  exit 2
fi
sanitizer=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
if [[ ! -x "$sanitizer" ]]; then
  echo "gpu-check: compute-sanitizer not found (set COMPUTE_SANITIZER)" >&2
  exit 1
fi

mkdir -p "$out"
nvidia-smi -L | tee "$out/device.txt"
# The CUDA instances of the typed suites are named .../cuda; the GPU-only tests say Cuda or Gpu.
filter='*cuda*:*Cuda*:*Gpu*'
failed=0

echo "== CUDA conformance suite =="
if ! "${run[@]}" "$tests" --gtest_filter="$filter" --gtest_output="json:$out/test_kernels.json" \
  >"$out/test_kernels.txt" 2>&1; then
  echo "conformance suite failed: $out/test_kernels.txt"
  failed=1
fi
tail -n 3 "$out/test_kernels.txt"
if grep -q "SKIPPED" "$out/test_kernels.txt"; then
  echo "gpu-check: some CUDA tests skipped although a GPU is visible:" >&2
  grep "SKIPPED" "$out/test_kernels.txt" | head -n 5 >&2
  failed=1
fi

for tool in memcheck racecheck; do
  echo "== compute-sanitizer --tool $tool =="
  if ! "${run[@]}" "$sanitizer" --tool "$tool" --error-exitcode 1 "$tests" \
    --gtest_filter="$filter" >"$out/$tool.txt" 2>&1; then
    echo "$tool reported errors: $out/$tool.txt"
    failed=1
  fi
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$out/$tool.txt" || true
done

echo "== GPU benchmarks =="
# shellcheck disable=SC2086  # GPOC_BENCH_ARGS is a list of arguments
if ! "${run[@]}" "$bench" --benchmark_out="$out/gpu.json" --benchmark_out_format=json \
  ${GPOC_BENCH_ARGS:-} | tee "$out/gpu.txt"; then
  echo "GPU benchmarks failed: $out/gpu.txt"
  failed=1
fi

echo "gpu-check: results in $out/"
exit "$failed"
