// `npm run demo`: the whole product offline in one command. Starts the Graph sandbox (demo world)
// in-process, writes tap/target configs into .demo/, syncs into .demo/warehouse.duckdb through the
// real tap and target processes, builds the dbt models, and writes .demo/report.html.
// The world follows the run's clock (today by the calendar unless --today pins it), and the sync is
// pinned to the sandbox's clock, so the tap's "today" is the world's whatever the machine's date.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { runClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { loadReportData, utcMinute } from '../report/marts.js';
import { renderReport, type ReportData } from '../report/html.js';
import { reportHighlights } from '../report/highlights.js';
import { startGraphSandbox, type Sandbox, type SandboxOptions } from './sandbox-port.js';
import { runSync, type SyncOptions } from './sync.js';
import { formatSummary, type SyncSummary } from './summary.js';
import { DEMO_DAYS } from './demo-defaults.js';

/**
 * dbt vars of a demo build: the switch that turns on the demo seeds (dbt/dbt_project.yml), and the
 * zone of the demo's books, chosen as a user would: its accounts report in seven zones, as an
 * agency's do, so none can be the reporting zone of all of them (dbt/tests/_tests.yml).
 */
export const DEMO_MODELS_VARS = { fb_ads_elt__demo: true, reporting_time_zone: 'UTC' } as const;

export interface DemoOptions {
  dir: string;
  seed?: number;
  log: Logger;
  progressOut?: SyncOptions['progressOut'];
  /** Extra sync options (tests). */
  syncOverrides?: Partial<SyncOptions>;
  /** A running sandbox to use instead of starting the demo world (tests); it is left running. */
  sandbox?: Sandbox;
  /** Days of history to sync (default DEMO_DAYS). */
  days?: number;
  /** Sandbox world when the demo starts its own (default 'demo'). */
  world?: 'small' | 'demo';
  /** Pins the world to noon UTC of this day (YYYY-MM-DD) when the demo starts its own sandbox. */
  today?: string;
  /** Where the world's "now" comes from otherwise (default FB_ADS_ELT_NOW or the system clock). */
  clock?: Clock;
}

/**
 * The sandbox the demo starts. Its sync pins the tap to the world clock at the start (sandbox.now()),
 * and the tap's clock then moves on: so does the sandbox's Date header (liveDate), or a run longer than
 * the tap's clock-skew margin would warn that this machine's clock is off (and advise NTP) when it is not.
 */
export function demoSandboxOptions(o: Pick<DemoOptions, 'world' | 'seed' | 'today' | 'clock'>): SandboxOptions {
  const when = o.today !== undefined ? { today: o.today } : { now: (o.clock ?? runClock())() };
  return { world: o.world ?? 'demo', seed: o.seed ?? 1, jobDurationMs: 20, liveDate: true, ...when };
}

export interface DemoResult {
  exitCode: number;
  summary: SyncSummary;
  reportPath: string | null;
  report: ReportData | null;
  files: { tapConfig: string; targetConfig: string; stateFile: string; warehouse: string };
  /** The days the tap was asked for (sandbox clock). */
  period: { from: string; to: string };
  text: string;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const dir = path.resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const files = {
    tapConfig: path.join(dir, 'tap.json'),
    targetConfig: path.join(dir, 'target.json'),
    stateFile: path.join(dir, 'state.json'),
    warehouse: path.join(dir, 'warehouse.duckdb'),
  };
  // Every demo run starts from scratch so it always shows the same world.
  for (const f of [files.stateFile, files.warehouse, `${files.warehouse}.wal`, path.join(dir, 'report.html')]) rmSync(f, { force: true });

  const sandbox = o.sandbox ?? (await startGraphSandbox(demoSandboxOptions(o)));
  const clock: Clock = () => sandbox.now();
  try {
    const today = sandbox.world.clock.today;
    const start = DateTime.fromISO(today, { zone: 'utc' })
      .minus({ days: (o.days ?? DEMO_DAYS) - 1 })
      .toISODate()!;
    const tapConfig = {
      access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })),
      api_base_url: sandbox.baseUrl,
      api_version: sandbox.apiVersion,
      start_date: start,
      end_date: today,
      insights_poll_interval_seconds: 0.02,
      // One report run per account and level covers the whole demo period (fewer round trips).
      insights_max_days_per_job: 93,
      retry_base_ms: 20,
      max_concurrency: 8,
    };
    writeFileSync(files.tapConfig, JSON.stringify(tapConfig, null, 2) + '\n', { mode: 0o600 });
    writeFileSync(files.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: files.warehouse, dataset: 'facebook_ads' }, null, 2) + '\n');

    const { exitCode, summary } = await runSync({
      tapConfigPath: files.tapConfig,
      targetConfigPath: files.targetConfig,
      stateFile: files.stateFile,
      models: true,
      // The demo data (Google Ads, TikTok, shop orders, FX seeds) is off unless this switch is on.
      // …and its seeds' dates move to surround the world's days (dbt var fb_ads_elt__demo_today).
      modelsVars: { ...DEMO_MODELS_VARS, fb_ads_elt__demo_today: today },
      clock,
      log: o.log,
      // The terminal shows progress and the summary; child logs only when something is wrong.
      relayLevel: 'warn',
      ...(o.progressOut ? { progressOut: o.progressOut } : {}),
      ...o.syncOverrides,
    });
    let report: ReportData | null = null;
    let reportPath: string | null = null;
    if (summary.models.ran && summary.models.exit_code === 0) {
      const now = clock();
      report = await loadReportData({ duckdbPath: files.warehouse, title: 'Meta Ads demo — spend and customer acquisition', generatedAt: utcMinute(now), now });
      reportPath = path.join(dir, 'report.html');
      writeFileSync(reportPath, renderReport(report));
    }
    return { exitCode, summary, report, reportPath, files, period: { from: start, to: today }, text: demoText(summary, report, reportPath) };
  } finally {
    if (!o.sandbox) await sandbox.close();
  }
}

function demoText(summary: SyncSummary, report: ReportData | null, reportPath: string | null): string {
  const lines = [formatSummary(summary).trimEnd()];
  if (report && reportPath) {
    lines.push('', ...reportHighlights(report), '', `Report: ${reportPath}  (open it in a browser)`, `Warehouse: ${path.join(path.dirname(reportPath), 'warehouse.duckdb')} (any DuckDB client; README "Quick start" shows one)`);
  } else {
    lines.push('', 'No report: the sync or the models did not finish (see the failures above).');
  }
  return lines.join('\n') + '\n';
}
