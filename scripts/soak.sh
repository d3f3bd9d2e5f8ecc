#!/usr/bin/env bash
# The simulation soak, kept out of CI: runs every scenario of the deterministic pool simulation
# until each has covered HOURS simulated hours (default 1), new seeds each run unless FIRST_SEED
# is given. Prints the seeds run and the simulated hours per scenario; exits non-zero, naming
# the seed and the command that replays it, if any invariant was violated.
#   scripts/soak.sh [HOURS] [FIRST_SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-1}
first=${2:-$(( ($(date +%s) % 1000000) * 1000 ))}
scripts/install-deps.sh
scripts/build.sh >/dev/null
status=0
for scenario in honest wrong collude mixed chaos; do
  echo "== $scenario: $hours simulated hours from seed $first"
  "${GPOC_BUILD_DIR:-build}"/bin/gpoc-sim --scenario "$scenario" --hours "$hours" \
    --first-seed "$first" | tail -n 1 || status=1
done
exit $status
