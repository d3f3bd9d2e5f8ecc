#!/usr/bin/env bash
# Builds the CPU backend with AddressSanitizer + UndefinedBehaviorSanitizer, and the threaded
# parts with ThreadSanitizer, and runs the tests under them. CI runs this after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
common=(-DGPOC_CUDA=OFF -DGPOC_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"

echo "== ASan + UBSan =="
cmake -S . -B build-asan -G Ninja "${common[@]}" -DGPOC_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$(nproc)"
(cd build-asan && ctest --output-on-failure -j "$(nproc)" --timeout 600)

echo "== TSan (worker executor, scheduler commit writer, ledger sync, transport) =="
cmake -S . -B build-tsan -G Ninja "${common[@]}" -DGPOC_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "$(nproc)" --target gpoc test_host test_transport test_integration test_ledger
(cd build-tsan && ctest --output-on-failure -j "$(nproc)" --timeout 600 -R "FakeScheduler|Transport|PoolTest|SyncRunsBesideCommits")
