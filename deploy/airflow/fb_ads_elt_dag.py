"""Airflow 3 example: sync Meta Ads into BigQuery every hour, then build the dbt models.

Copy this file into your DAGs folder. It assumes the repository is installed at FB_ADS_ELT_HOME on
the workers (git clone + npm ci, which also installs the project's pinned dbt into .venv/), the
configs in FB_ADS_ELT_CONFIG_DIR (tap.json, target.json; README "Configuration") and a writable
FB_ADS_ELT_STATE_DIR. deploy/airflow/test-dag.sh runs it end to end against the Graph sandbox.

Exit codes (README "Exit codes") decide what Airflow does:
  7 retry later (throttled, unreachable)  -> retried with backoff;
  2 config, 3 auth, 4 permission, 6 data  -> fail at once: a retry cannot fix them, a person must;
  5 partial (some accounts failed, the others committed) -> fail at once so someone looks; the
    models still build on what was committed (trigger_rule all_done), as `fb-ads-elt sync --models`
    does: when a sync task's summary says the run committed something worth building on
    (`models.due`, README "Exit codes"), whatever its exit code; the task log names the accounts whose
    rows are stale (`models.stale_accounts`). No sync task with such a summary: dbt_build is skipped.

Sharding (FB_ADS_ELT_SHARDS=N, N > 1, for accounts that outgrow one process): the ad accounts
listed in tap.json's account_ids are spread over N mapped sync tasks by a stable hash of the
account id, each with its own state file (state.shard-<k>-of-<N>.json). One more mapped task,
"assets", syncs the full-table streams (businesses, ad_accounts, pages, pixels, catalogs) for every
account, once a run: every shard would read them all again, and none may activate pixels, which
are listed per ad account (a shard reads only its own: activating would mark the others' deleted).
Changing N moves accounts between state files; a moved account starts again from start_date.

Full refresh: trigger the DAG with the config {"full_refresh": ["insights_ad", "ads"]} (or true
for every stream) to re-read those streams from start_date: each sync task runs `fb-ads-elt sync
--full-refresh` with the named streams it syncs (README "Run one sync").
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

FB_ADS_ELT_HOME = Path(os.environ.get("FB_ADS_ELT_HOME", "/opt/fb-ads-elt"))
CONFIG_DIR = Path(os.environ.get("FB_ADS_ELT_CONFIG_DIR", "/etc/fb-ads-elt"))
STATE_DIR = Path(os.environ.get("FB_ADS_ELT_STATE_DIR", "/var/lib/fb-ads-elt"))
SHARDS = int(os.environ.get("FB_ADS_ELT_SHARDS", "1"))
# The dbt target of dbt/profiles.yml (bigquery or duckdb); unset: the destination of target.json.
DBT_TARGET_OVERRIDE = os.environ.get("FB_ADS_ELT_DBT_TARGET")

FB_ADS_ELT = FB_ADS_ELT_HOME / "bin" / "fb-ads-elt.js"
TAP = FB_ADS_ELT_HOME / "bin" / "tap-facebook-ads.js"
# The dbt that `npm ci` installed from requirements/python.lock.txt: no second dbt to keep in step.
DBT = FB_ADS_ELT_HOME / ".venv" / "bin" / "dbt"
TAP_CONFIG = CONFIG_DIR / "tap.json"
TARGET_CONFIG = CONFIG_DIR / "target.json"

EXIT_OK, EXIT_PARTIAL, EXIT_RETRY_LATER = 0, 5, 7
RETRY_KINDS = {"transient", "throttled"}
EXIT_MEANING = {1: "unexpected error (a bug)", 2: "config error", 3: "auth error (token)", 4: "permission error",
                5: "partial success", 6: "data or model error", 7: "retry later (throttled or unreachable)"}


def raise_for_exit(what: str, code: int, summary: dict | None = None) -> None:
    """Exit 7 is worth retrying, and so is a partial run (5) whose every failure was transient or
    throttled (Meta unreachable or throttling some accounts past the tap's own retries: the next try
    reads them from their bookmarks); every other failure waits for a person (AirflowFailException)."""
    if code == EXIT_OK:
        return
    message = f"{what} exited {code}: {EXIT_MEANING.get(code, 'failed')}; its log lines above say what to do"
    if code == EXIT_RETRY_LATER or (code == EXIT_PARTIAL and only_transient_failures(summary)):
        raise AirflowException(message)
    raise AirflowFailException(message)


def only_transient_failures(summary: object) -> bool:
    """Whether a sync summary (`fb-ads-elt sync --json`) lists failures and every one is of a kind a
    later try gets past by itself (README "Exit codes": the kinds of exit 7)."""
    failures = summary.get("failures") if isinstance(summary, dict) else None
    return bool(failures) and all(isinstance(f, dict) and f.get("kind") in RETRY_KINDS for f in failures)


def models_due(summaries: object) -> tuple[bool, list[str]]:
    """Whether to build the models after the sync tasks, and the accounts whose rows are then stale,
    from the summaries they pushed (`fb-ads-elt sync --json`: `models.due`, `models.stale_accounts`;
    the rule itself lives in the sync). xcom_pull gives one summary for one task, a list for mapped
    ones, None where a task pushed none (it failed before its sync ran)."""
    listed = summaries if isinstance(summaries, list) else [summaries]
    models = [s.get("models") or {} for s in listed if isinstance(s, dict)]
    due = [m for m in models if m.get("due") is True]
    return bool(due), sorted({a for m in due for a in m.get("stale_accounts") or []})


def _summary_of(stdout: str) -> dict | None:
    try:
        summary = json.loads(stdout)
    except ValueError:
        return None
    return summary if isinstance(summary, dict) else None


def _destination() -> str:
    try:
        return json.loads(TARGET_CONFIG.read_text()).get("destination", "duckdb")
    except (OSError, ValueError):
        return "bigquery"


def dbt_settings(target: dict, environ: dict[str, str]) -> tuple[str, dict[str, str], dict]:
    """dbt's target, environment and --vars from target.json, so the models read the raw tables where
    the sync wrote them: its project, dataset, location and key file (DBT_* set on the worker win,
    except where the raw tables are). Without this dbt/profiles.yml's defaults applied: no project,
    location US, dataset facebook_ads, no key file."""
    dbt_target = DBT_TARGET_OVERRIDE or target.get("destination", "duckdb")
    env = {**environ, "DBT_TARGET": dbt_target, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt_vars: dict = {"facebook_ads_schema": target.get("dataset", "facebook_ads")}
    if target.get("history") is False:
        dbt_vars["facebook_ads__using_history"] = False
    if dbt_target == "duckdb":
        env.setdefault("DBT_DUCKDB_PATH", target.get("duckdb_path", "warehouse.duckdb"))
    elif target.get("destination") == "bigquery":
        if target.get("project_id"):
            env.setdefault("DBT_BIGQUERY_PROJECT", target["project_id"])
            dbt_vars["facebook_ads_database"] = target["project_id"]
        if target.get("location"):
            env.setdefault("DBT_BIGQUERY_LOCATION", target["location"])
        if target.get("credentials_path"):
            # The profile's default method (oauth) reads application default credentials: this file.
            env.setdefault("GOOGLE_APPLICATION_CREDENTIALS", target["credentials_path"])
    return dbt_target, env, dbt_vars


# The tap's own streams, one row per run and account and never activated: every sync task writes its
# own. insights_coverage (the days each report was read in full) must come from the task that reads
# the insights: the CAC models count a month only where it says Facebook read every day.
RUN_LOG_STREAMS = ("sync_log", "insights_coverage")


def split_streams(streams: list[dict]) -> tuple[list[str], list[str]]:
    """The streams of the "assets" task (the full-table asset streams, for every account) and of
    each account shard (the rest); the run log streams go to both."""
    def replication(s: dict) -> str:
        top = next(m["metadata"] for m in s["metadata"] if m["breadcrumb"] == [])
        return top.get("forced-replication-method") or top.get("replication-method", "")

    assets = [s["tap_stream_id"] for s in streams if replication(s) == "FULL_TABLE" and s["tap_stream_id"] not in RUN_LOG_STREAMS]
    per_account = [s["tap_stream_id"] for s in streams if s["tap_stream_id"] not in assets]
    return assets + ["sync_log"], per_account


def _shard_of(account_id: str, shards: int) -> int:
    # crc32 is stable across processes and Python versions (hash() is salted per process).
    return zlib.crc32(str(account_id).removeprefix("act_").encode()) % shards


def full_refresh_args(conf: dict | None, shard: dict) -> list[str]:
    """`fb-ads-elt sync --full-refresh` for a run's config {"full_refresh": true | [stream, ...]}: the
    named streams this shard syncs (all of them for true); [] when none. Anything else fails the task."""
    value = (conf or {}).get("full_refresh")
    if value is None or value is False:
        return []
    if value is True:
        return ["--full-refresh"]
    if not isinstance(value, list) or not value or not all(isinstance(n, str) and n for n in value):
        raise AirflowFailException(f'full_refresh in the run config must be true or a list of stream names, got {json.dumps(value)}')
    names = [n for n in value if "streams" not in shard or n in shard["streams"]]
    return ["--full-refresh", ",".join(names)] if names else []


def _private_copy(tmp: Path, name: str, value: dict) -> str:
    path = tmp / name
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        json.dump(value, f)
    return str(path)


with DAG(
    dag_id="fb_ads_elt",
    description="Meta Ads -> BigQuery (tap-facebook-ads -> target-bigquery) and dbt models",
    schedule=timedelta(hours=1),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    # One run at a time: each state file is read at the start and replaced after each commit.
    max_active_runs=1,
    default_args={"retries": 0},
    tags=["meta-ads", "elt"],
) as dag:

    @task
    def plan_shards() -> list[dict]:
        """The sync tasks to map: one over everything, or the assets shard plus N account shards."""
        if SHARDS <= 1:
            return [{"name": "all", "state_file": str(STATE_DIR / "state.json")}]
        account_ids = json.loads(TAP_CONFIG.read_text()).get("account_ids") or []
        if not account_ids:
            raise AirflowFailException(f"FB_ADS_ELT_SHARDS={SHARDS} needs the ad accounts listed in {TAP_CONFIG} (account_ids)")
        discovered = subprocess.run([str(TAP), "--config", str(TAP_CONFIG), "--discover"], stdout=subprocess.PIPE, text=True)
        raise_for_exit("tap-facebook-ads --discover", discovered.returncode)
        assets, per_account = split_streams(json.loads(discovered.stdout)["streams"])
        plan = [{"name": "assets", "state_file": str(STATE_DIR / "state.assets.json"), "streams": assets}]
        for k in range(SHARDS):
            ids = [a for a in account_ids if _shard_of(a, SHARDS) == k]
            if ids:
                plan.append({"name": f"shard-{k}-of-{SHARDS}", "account_ids": ids, "streams": per_account,
                             "state_file": str(STATE_DIR / f"state.shard-{k}-of-{SHARDS}.json")})
        return plan

    @task(
        retries=3,
        retry_delay=timedelta(minutes=5),
        retry_exponential_backoff=True,
        execution_timeout=timedelta(hours=6),
        map_index_template="{{ task.op_kwargs['shard']['name'] }}",
        # DuckDB has one writer per file: its shards take turns. BigQuery takes them all at once.
        max_active_tis_per_dagrun=1 if _destination() == "duckdb" else None,
    )
    def sync(shard: dict, dag_run=None, ti=None) -> dict:
        """One `fb-ads-elt sync`; its summary JSON (accounts, rows, failures with hints) is the XCom,
        pushed as "summary" before a failing exit too: dbt_build reads whether it committed."""
        tmp = Path(tempfile.mkdtemp(prefix="fb-ads-elt-"))  # mode 0700: the token copy stays private
        try:
            config = str(TAP_CONFIG)
            argv = [str(FB_ADS_ELT), "sync", "--target-config", str(TARGET_CONFIG), "--state-file", shard["state_file"], "--json"]
            argv += full_refresh_args(dag_run.conf if dag_run else None, shard)
            if "account_ids" in shard:
                config = _private_copy(tmp, "tap.json", {**json.loads(TAP_CONFIG.read_text()), "account_ids": shard["account_ids"]})
            if "streams" in shard:
                discovered = subprocess.run([str(TAP), "--config", config, "--discover"], stdout=subprocess.PIPE, text=True)
                raise_for_exit("tap-facebook-ads --discover", discovered.returncode)
                catalog = json.loads(discovered.stdout)
                for s in catalog["streams"]:
                    for m in s["metadata"]:
                        if m["breadcrumb"] == []:
                            m["metadata"]["selected"] = s["tap_stream_id"] in shard["streams"]
                argv += ["--catalog", _private_copy(tmp, "catalog.json", catalog)]
            Path(shard["state_file"]).parent.mkdir(parents=True, exist_ok=True)
            # stderr (JSON log lines) goes straight to the task log; stdout is the summary.
            run = subprocess.run(argv + ["--config", config], stdout=subprocess.PIPE, text=True)
            print(run.stdout)
            summary = _summary_of(run.stdout)
            if ti is not None and summary is not None:
                ti.xcom_push(key="summary", value=summary)
            raise_for_exit(f"fb-ads-elt sync ({shard['name']})", run.returncode, summary)
            return summary
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @task(trigger_rule="all_done")
    def dbt_build(ti=None) -> None:
        """dbt build with the project's own dbt, when a sync task committed something (models_due);
        a failing model or test is not retried."""
        due, stale = models_due(ti.xcom_pull(task_ids="sync", key="summary") if ti is not None else None)
        if not due:
            raise AirflowSkipException("no sync task committed an account this run: the models keep what they were built on")
        if stale:
            print(f"building the models over a partial sync: accounts {', '.join(stale)} failed, so their rows stop where an earlier run left them")
        dbt_target, env, dbt_vars = dbt_settings(json.loads(TARGET_CONFIG.read_text()), dict(os.environ))
        argv = [str(DBT), "build", "--project-dir", str(FB_ADS_ELT_HOME / "dbt"), "--profiles-dir", str(FB_ADS_ELT_HOME / "dbt"),
                "--target", dbt_target, "--vars", json.dumps(dbt_vars),
                "--target-path", str(STATE_DIR / "dbt" / "target"), "--log-path", str(STATE_DIR / "dbt" / "logs")]
        run = subprocess.run(argv, env=env)
        if run.returncode != 0:
            raise AirflowFailException(f"dbt build exited {run.returncode}: the dbt log above names the failing model or test")

    sync.expand(shard=plan_shards()) >> dbt_build()
