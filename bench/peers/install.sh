#!/usr/bin/env bash
# Installs the real peer connectors, pinned, each into its own virtual environment under
# bench/peers/.venv/<peer> (git-ignored): the three Facebook taps and target-duckdb. PyPI only;
# idempotent (a venv whose pin already matches is kept). Never a runtime dependency, never in CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-python3}"
declare -A PINS=(
  [airbyte]='airbyte-source-facebook-marketing==6.1.9'
  [singer]='tap-facebook==1.26.0'
  [meltano]='meltano-tap-facebook==0.9.0'
  # duckdb below 1.5: with 1.5 and later target-duckdb drops the first row of every batch (it reads
  # its header-less CSV with a header); 1.0.0 is the one research/peers.md compared with.
  [target-duckdb]='target-duckdb==0.8.0 duckdb==1.0.0'
)
for peer in "${!PINS[@]}"; do
  venv="$here/.venv/$peer"
  pin="${PINS[$peer]}"
  if [[ -f "$venv/.pin" && "$(cat "$venv/.pin")" == "$pin" ]]; then echo "$peer: $pin already installed"; continue; fi
  rm -rf "$venv"
  "$py" -m venv "$venv"
  # shellcheck disable=SC2086 # a pin may name several packages
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pin
  echo "$pin" > "$venv/.pin"
  echo "$peer: installed $pin"
done
