"""Airflow example: sync Meta Ads into BigQuery every hour, then build the dbt models.

Copy this file into your DAGs folder. It assumes the repository is installed at FB_ADS_ELT_HOME
(git clone + npm ci) on the workers, configs in /etc/fb-ads-elt (see README "Configuration"), and
dbt-bigquery installed for the models step. Exit codes (README "Exit codes") decide what happens:
0 ok; 5 partial (some accounts failed; the others are committed) fails the task so someone looks,
but the models still run on what was committed; 7 (throttled/transient) is retried by Airflow.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

FB_ADS_ELT_HOME = os.environ.get("FB_ADS_ELT_HOME", "/opt/fb-ads-elt")
CONFIG_DIR = os.environ.get("FB_ADS_ELT_CONFIG_DIR", "/etc/fb-ads-elt")
STATE_FILE = os.environ.get("FB_ADS_ELT_STATE_FILE", "/var/lib/fb-ads-elt/state.json")

SYNC_COMMAND = (
    f"{FB_ADS_ELT_HOME}/bin/fb-ads-elt.js sync"
    f" --config {CONFIG_DIR}/tap.json"
    f" --target-config {CONFIG_DIR}/target.json"
    f" --state-file {STATE_FILE}"
    " --json"
)

DBT_COMMAND = f"cd {FB_ADS_ELT_HOME}/dbt && dbt build --target bigquery --profiles-dir ."

with DAG(
    dag_id="fb_ads_elt",
    description="Meta Ads -> BigQuery (tap-facebook-ads -> target-bigquery) and dbt models",
    schedule=timedelta(hours=1),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    # One run at a time: the state file is read at the start and replaced after each commit.
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=15), "retry_exponential_backoff": True},
    tags=["meta-ads", "elt"],
) as dag:
    sync = BashOperator(
        task_id="sync",
        bash_command=SYNC_COMMAND,
        # The summary JSON on stdout becomes the task's XCom (accounts, rows, failures with hints).
        do_xcom_push=True,
        execution_timeout=timedelta(hours=6),
    )

    models = BashOperator(
        task_id="dbt_build",
        bash_command=DBT_COMMAND,
        # Build on whatever was committed, even after a partial sync.
        trigger_rule="all_done",
    )

    sync >> models
