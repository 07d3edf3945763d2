#!/usr/bin/env bash
# The date-sensitive tests under a shifted machine clock (libfaketime, Debian package `faketime`):
# each scenario moves the clock of every process of the run — mocha, the tap, the target, DuckDB,
# dbt — to an awkward instant and zone, and the tests must pass as they do today. Proves that no
# test (and no code path they cover) reads the machine's date where it should read the run clock.
# Usage: npm run test:clock [-- scenario-name ...]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null; then
  echo "clock matrix: faketime is not installed (Debian: apt-get install faketime; .ci/run installs it)" >&2
  exit 2
fi

# name | TZ | instant (UTC) the run starts at
SCENARIOS=(
  "month-end-after-midnight-utc|UTC|2027-03-01T00:05:00Z"
  "year-end-2330-utc|UTC|2026-12-31T23:30:00Z"
  "dst-night-europe-berlin|Europe/Berlin|2027-03-28T00:58:00Z"
  "dst-night-america-los-angeles|America/Los_Angeles|2026-11-01T08:58:00Z"
)

# Everything that decides or checks a day: dates, lookback and restatement, token expiry, the
# 37-month clamp, time zones, the sandbox world, doctor's expiry checks, the models' run date, the
# pipeline and the demo end to end.
FILES=(
  'tests/unit/**/*.test.ts'
  'tests/sandbox/*.test.ts'
  'tests/integration/tap/*.test.ts'
  'tests/integration/pipeline/sync.test.ts'
  'tests/integration/pipeline/doctor.test.ts'
  'tests/integration/dbt/build.test.ts'
  'tests/integration/resilience/fault-matrix.test.ts'
  'tests/integration/target/crash-tap.test.ts'
  'tests/e2e/*.test.ts'
)

wanted=("$@")
ran=0
failed=()
for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name zone instant <<<"$s"
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $name "* ]]; then continue; fi
  # A relative offset (not faketime's "@" start time): every process of the run shares one clock
  # that keeps moving, instead of each child restarting at the same instant.
  offset=$(( $(date -u -d "$instant" +%s) - $(date -u +%s) ))
  if [ "$offset" -ge 0 ]; then shift_spec="+${offset}s"; else shift_spec="${offset}s"; fi
  seen=$(TZ="$zone" faketime -f "$shift_spec" node -e 'process.stdout.write(new Date().toISOString())')
  # The shift must reach Node itself, or this matrix would prove nothing.
  drift=$(( $(date -u -d "$seen" +%s) - $(date -u -d "$instant" +%s) ))
  if [ "${drift#-}" -gt 120 ]; then
    echo "clock matrix: faketime did not move Node's clock (asked $instant, Node saw $seen)" >&2
    exit 1
  fi
  echo "== clock matrix: $name (TZ=$zone, machine clock $seen)" >&2
  if TZ="$zone" faketime -f "$shift_spec" npx mocha --fail-zero "${FILES[@]}"; then
    ran=$((ran + 1))
  else
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== clock matrix: FAILED under: ${failed[*]} ($ran other scenario(s) passed)" >&2
  exit 1
fi
if [ "$ran" -eq 0 ]; then  # every scenario was filtered out
  echo "clock matrix: no scenario matched: $*" >&2
  exit 2
fi
echo "== clock matrix: $ran scenario(s) passed" >&2
