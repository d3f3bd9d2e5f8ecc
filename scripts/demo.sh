#!/usr/bin/env bash
# Quick start, first command: install, build, and run the local demo pool (`gpoc demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/bin/gpoc demo "$@"
