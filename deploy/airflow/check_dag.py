"""Checks for deploy/airflow/fb_ads_elt_dag.py, run by test-dag.sh with the Airflow venv's Python.

  check_dag.py <dag file>   import check: real Airflow parses the DAG with no import error and no
                            deprecation warning from the file; exit 7 is retried, and an exit 5
                            whose every failure is transient or throttled; a run's
                            {"full_refresh": ...} config becomes each shard's `sync --full-refresh`;
                            dbt builds after failed syncs when their summaries say models.due
  check_dag.py --run <dir>  after `airflow dags test`: every task instance succeeded, one state file
                            per shard with that shard's bookmarks, every account in DuckDB, marts built
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

DAG_ID = "fb_ads_elt"


def fail(message: str) -> None:
    print(f"check_dag: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check_import(dag_file: str) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = DagBag(dag_folder=dag_file)
    if bag.import_errors:
        fail(f"import errors: {bag.import_errors}")
    ours = [w for w in caught if os.path.samefile(w.filename, dag_file) if os.path.exists(w.filename)]
    ours += [w for ws in getattr(bag, "captured_warnings", {}).values() for w in ws]
    ours += list(bag.dag_warnings)
    if ours:
        fail("warnings raised by the DAG file: " + "; ".join(str(getattr(w, "message", w)) for w in ours))
    dag = bag.dags.get(DAG_ID)
    if dag is None:
        fail(f"no DAG {DAG_ID} in {dag_file}")
    tasks = {t.task_id: t for t in dag.tasks}
    if sorted(tasks) != ["dbt_build", "plan_shards", "sync"]:
        fail(f"unexpected tasks {sorted(tasks)}")
    if tasks["sync"].retries < 1 or tasks["dbt_build"].retries != 0 or tasks["plan_shards"].retries != 0:
        fail("only the sync task may retry (its exit 7); dbt and the plan never")
    if dag.max_active_runs != 1:
        fail("max_active_runs must be 1: one run per state file")
    if tasks["dbt_build"].trigger_rule != "all_done":
        fail(f"dbt_build must run after failed sync tasks too (trigger_rule all_done), has {tasks['dbt_build'].trigger_rule}")

    # The retry rule itself: AirflowException (retried) for 7, AirflowFailException for any other exit alone.
    spec = importlib.util.spec_from_file_location("fb_ads_elt_dag_module", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.raise_for_exit("sync", 0)
    for code in range(1, 10):
        try:
            module.raise_for_exit("sync", code)
        except AirflowFailException:
            if code == 7:
                fail("exit 7 (retry later) must be retried")
        except AirflowException:
            if code != 7:
                fail(f"exit {code} must not be retried")
        else:
            fail(f"exit {code} raised nothing")
    # A partial run whose every failure a later try gets past (Meta unreachable or throttling) is retried too.
    for failures, retried in [([{"kind": "transient"}, {"kind": "throttled"}], True), ([{"kind": "transient"}, {"kind": "permission"}], False), ([], False)]:
        try:
            module.raise_for_exit("sync", 5, {"exit_code": 5, "failures": failures})
        except AirflowFailException:
            if retried:
                fail(f"exit 5 with only {failures} must be retried")
        except AirflowException:
            if not retried:
                fail(f"exit 5 with {failures} must not be retried")
        else:
            fail("exit 5 raised nothing")

    # dbt builds when a sync task's summary says so (`models.due`, decided by the sync), whatever its exit.
    due = {"models": {"ran": False, "due": True}}
    partial = {"exit_code": 7, "models": {"ran": False, "due": True, "stale_accounts": ["222", "111"]}}
    nothing = {"exit_code": 4, "models": {"ran": False, "due": False}}
    before_start = {"status": "failed", "exit_code": 2, "failures": []}
    cases = [(None, (False, [])), ([], (False, [])), (due, (True, [])), ([nothing, None, before_start], (False, [])),
             ([nothing, partial, due], (True, ["111", "222"])), ([None, partial], (True, ["111", "222"]))]
    for summaries, want in cases:
        if module.models_due(summaries) != want:
            fail(f"models_due({summaries}) = {module.models_due(summaries)}, want {want}")

    # A run's config {"full_refresh": ...} becomes `sync --full-refresh` with the shard's own streams.
    everything, shard = {"name": "all"}, {"name": "shard-0-of-2", "streams": ["campaigns", "insights_ad"]}
    cases = [(None, everything, []), ({}, shard, []), ({"full_refresh": True}, shard, ["--full-refresh"]),
             ({"full_refresh": ["insights_ad", "ad_accounts"]}, shard, ["--full-refresh", "insights_ad"]),
             ({"full_refresh": ["ad_accounts"]}, shard, []), ({"full_refresh": ["x", "y"]}, everything, ["--full-refresh", "x,y"])]
    for conf, where, want in cases:
        if module.full_refresh_args(conf, where) != want:
            fail(f"full_refresh_args({conf}, {where}) = {module.full_refresh_args(conf, where)}, want {want}")
    for bad in ("insights_ad", [], [1]):
        try:
            module.full_refresh_args({"full_refresh": bad}, everything)
        except AirflowFailException:
            continue
        fail(f"full_refresh {bad!r} must fail the task")


def check_run(work: Path) -> None:
    from airflow.models import DagRun, TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter(DagRun.dag_id == DAG_ID).all()
        if len(runs) != 1 or runs[0].state != "success":
            fail(f"DAG run states {[r.state for r in runs]}, want one success")
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == DAG_ID).all()
        states = {(ti.task_id, ti.map_index): (ti.state, ti.try_number) for ti in tis}
    print(f"check_dag: task instances {states}", file=sys.stderr)
    if any(state != "success" for state, _ in states.values()):
        fail(f"not every task instance succeeded: {states}")

    shards = int(os.environ["FB_ADS_ELT_SHARDS"])
    accounts = set(json.loads((work / "etc" / "tap.json").read_text())["account_ids"])
    sync_tis = [k for k in states if k[0] == "sync"]
    if shards > 1:
        expected = {f"state.shard-{k}-of-{shards}.json" for k in range(shards)} | {"state.assets.json"}
        found = {p.name for p in (work / "state").glob("state*.json")}
        if not found <= expected or "state.assets.json" not in found or len(found) != len(sync_tis):
            fail(f"state files {sorted(found)} for {len(sync_tis)} sync tasks")
        seen: set[str] = set()
        for name in sorted(found - {"state.assets.json"}):
            state = json.loads((work / "state" / name).read_text())
            ids = {a for per_account in state["bookmarks"].values() for a in per_account}
            if not ids or ids & seen:
                fail(f"{name} holds bookmarks {sorted(ids)} (empty, or shared with another shard)")
            seen |= ids
        if seen != accounts:
            fail(f"shard state files cover {sorted(seen)}, want {sorted(accounts)}")

    # DuckDB through the project's Python (duckdb is pinned there, the same engine as the target's).
    probe = r"""
import duckdb, json, sys
c = duckdb.connect(sys.argv[1], read_only=True)
q = lambda sql: c.sql(sql).fetchall()
print(json.dumps({
  "accounts": sorted(r[0] for r in q("select account_id from facebook_ads.ad_accounts where _sdc_deleted_at is null")),
  "deleted_accounts": q("select count(*) from facebook_ads.ad_accounts where _sdc_deleted_at is not null")[0][0],
  "insights_accounts": sorted(r[0] for r in q("select distinct account_id from facebook_ads.insights_ad")),
  "duplicate_keys": q("select count(*) from (select ad_id, date_start from facebook_ads.insights_ad group by all having count(*) > 1)")[0][0],
  "coverage_accounts": sorted(r[0] for r in q("select distinct account_id from facebook_ads.insights_coverage")),
  "ad_report_rows": q("select count(*) from analytics.facebook_ads__ad_report")[0][0],
}))
"""
    python = Path(os.environ["FB_ADS_ELT_HOME"]) / ".venv" / "bin" / "python"
    out = json.loads(subprocess.run([str(python), "-c", probe, str(work / "warehouse.duckdb")], check=True, stdout=subprocess.PIPE, text=True).stdout)
    print(f"check_dag: warehouse {out}", file=sys.stderr)
    if set(out["accounts"]) != accounts or out["deleted_accounts"] != 0:
        fail(f"ad_accounts {out['accounts']} ({out['deleted_accounts']} marked deleted), want {sorted(accounts)} live")
    if set(out["insights_accounts"]) != accounts:
        fail(f"insights for {out['insights_accounts']}, want {sorted(accounts)}")
    if set(out["coverage_accounts"]) != accounts:
        fail(f"insights_coverage for {out['coverage_accounts']}, want {sorted(accounts)}: without it CAC is undefined every month")
    if out["duplicate_keys"] != 0:
        fail(f"{out['duplicate_keys']} duplicate insights keys")
    if out["ad_report_rows"] == 0:
        fail("dbt built no ad report rows")


if __name__ == "__main__":
    if sys.argv[1] == "--run":
        check_run(Path(sys.argv[2]))
    else:
        check_import(sys.argv[1])
