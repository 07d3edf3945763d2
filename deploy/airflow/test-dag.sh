#!/usr/bin/env bash
# Runs deploy/airflow/fb_ads_elt_dag.py with real Airflow against the Graph sandbox, end to end:
# sync sharded over mapped tasks (one state file per shard) into DuckDB, then the project's dbt.
#   deploy/airflow/test-dag.sh            install Airflow if needed, import check, `airflow dags test`
#   deploy/airflow/test-dag.sh --import   install Airflow if needed, import check only (CI runs this)
# Airflow lives in its own venv, .venv-airflow/ (requirements/airflow.lock.txt; ~300 MB, not part of
# npm ci); FB_ADS_ELT_AIRFLOW_VENV points elsewhere. Needs `npm ci` done (node_modules, .venv/dbt).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${FB_ADS_ELT_AIRFLOW_VENV:-$REPO/.venv-airflow}"
LOCK="$REPO/requirements/airflow.lock.txt"
MODE="${1:-all}"
say() { printf 'test-dag: %s\n' "$*" >&2; }

# 1. Airflow, pinned, in its own venv; re-installed only when the lock changed.
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.fb-ads-elt-lock.sha256" 2>/dev/null)" != "$want" ]; then
  say "installing Airflow into $VENV from requirements/airflow.lock.txt (a few minutes, ~300 MB)"
  started=$SECONDS
  rm -rf "$VENV"
  "${FB_ADS_ELT_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$LOCK"
  "$VENV/bin/pip" check >&2
  echo "$want" > "$VENV/.fb-ads-elt-lock.sha256"
  say "Airflow installed in $((SECONDS - started)) s"
fi

WORK="$(mktemp -d)"
SANDBOX_PID=""
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
export AIRFLOW_HOME="$WORK/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/deploy/airflow"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING
export FB_ADS_ELT_HOME="$REPO" FB_ADS_ELT_CONFIG_DIR="$WORK/etc" FB_ADS_ELT_STATE_DIR="$WORK/state"
export FB_ADS_ELT_DBT_TARGET=duckdb FB_ADS_ELT_SHARDS="${FB_ADS_ELT_SHARDS:-2}"
mkdir -p "$WORK/etc" "$WORK/state"
echo '{"destination": "duckdb", "duckdb_path": "'"$WORK"'/warehouse.duckdb"}' > "$WORK/etc/target.json"
echo '{"access_token": "x", "start_date": "2026-01-01", "account_ids": ["1", "2"]}' > "$WORK/etc/tap.json"

# 2. Import check: the DAG parses in real Airflow with no import error and no deprecation warning
#    raised from the DAG file; the retry rule is the README's (exit 7, and an exit 5 whose every failure is transient).
"$VENV/bin/python" "$REPO/deploy/airflow/check_dag.py" "$REPO/deploy/airflow/fb_ads_elt_dag.py"
say "import check passed"
[ "$MODE" = "--import" ] && exit 0

# 3. The sandbox (small world), its clock for every process, a config reaching all its accounts.
started=$SECONDS
node "$REPO/bin/fb-ads-elt.js" sandbox --world small --job-duration-ms 0 > "$WORK/sandbox.json" 2> "$WORK/sandbox.log" &
SANDBOX_PID=$!
for _ in $(seq 1 600); do [ -s "$WORK/sandbox.json" ] && break; sleep 0.1; done
[ -s "$WORK/sandbox.json" ] || { cat "$WORK/sandbox.log" >&2; exit 1; }
eval "$(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`BASE_URL=${s.base_url} FB_ADS_ELT_NOW=${s.now} TOKEN=${s.tokens[0].token}`);' "$WORK/sandbox.json")"
export FB_ADS_ELT_NOW
ACCOUNTS="$(curl -sf "$BASE_URL/v25.0/me/adaccounts?fields=account_id&access_token=$TOKEN" | node -e '
  let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => console.log(JSON.stringify(JSON.parse(t).data.map((a) => a.account_id))));')"
START_DATE="$(node -e 'console.log(new Date(Date.parse(process.argv[1]) - 3 * 86400e3).toISOString().slice(0, 10))' "$FB_ADS_ELT_NOW")"
cat > "$WORK/etc/tap.json" <<EOF
{"access_token": "$TOKEN", "api_base_url": "$BASE_URL", "start_date": "$START_DATE", "account_ids": $ACCOUNTS,
 "insights_lookback_days": 1, "insights_poll_interval_seconds": 0.05, "retry_base_ms": 10}
EOF
chmod 600 "$WORK/etc/tap.json"
say "sandbox at $BASE_URL, now $FB_ADS_ELT_NOW, accounts $ACCOUNTS, $FB_ADS_ELT_SHARDS shards"

# 4. The DAG run, in-process (`airflow dags test` needs the metadata DB: sqlite in AIRFLOW_HOME).
"$VENV/bin/airflow" db migrate > "$WORK/db-migrate.log" 2>&1 || { cat "$WORK/db-migrate.log" >&2; exit 1; }
LOGICAL_DATE="${FB_ADS_ELT_NOW%%.*}+00:00"
"$VENV/bin/airflow" dags test fb_ads_elt "$LOGICAL_DATE" > "$WORK/dags-test.log" 2>&1 || true

# 5. What must be true afterwards: every task instance succeeded, one state file per shard with
#    bookmarks, rows for every account in DuckDB, and dbt's marts built on them.
"$VENV/bin/python" "$REPO/deploy/airflow/check_dag.py" --run "$WORK" || { tail -n 80 "$WORK/dags-test.log" >&2; exit 1; }
say "dags test passed in $((SECONDS - started)) s (sandbox: $(curl -sf "$BASE_URL/__sandbox/stats" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).requests))') Graph requests)"
