#!/usr/bin/env bash
# Installs the three real peer connectors, pinned, each into its own virtual environment under
# bench/peers/.venv/<peer> (git-ignored). PyPI only; idempotent (a venv whose pin already matches is kept).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-python3}"
declare -A PINS=(
  [airbyte]='airbyte-source-facebook-marketing==6.1.9'
  [singer]='tap-facebook==1.26.0'
  [meltano]='meltano-tap-facebook==0.9.0'
)
for peer in "${!PINS[@]}"; do
  venv="$here/.venv/$peer"
  pin="${PINS[$peer]}"
  if [[ -f "$venv/.pin" && "$(cat "$venv/.pin")" == "$pin" ]]; then echo "$peer: $pin already installed"; continue; fi
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$pin"
  echo "$pin" > "$venv/.pin"
  echo "$peer: installed $pin"
done
