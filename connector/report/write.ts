// `fb-ads-elt report`: the demo's HTML report (spend by channel, CAC by month, top campaigns) from
// the dbt marts of a user's own DuckDB warehouse, written atomically (a reader never sees half a
// page), with its headline figures for the terminal.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../pipeline/state-file.js';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { whyUnwritable } from '../core/writable.js';
import { lockHeldError } from '../target/duckdb/destination.js';
import { reportHighlights } from './highlights.js';
import { renderReport, type ReportData } from './html.js';
import { loadReportData, utcMinute } from './marts.js';

/** DuckDB's storage files carry "DUCK" at byte 8 (its main header). */
const DUCKDB_MAGIC = { offset: 8, bytes: 'DUCK' } as const;

/**
 * Whether the file is a DuckDB database: DuckDB itself failed on anything else with an unclassified
 * error (exit 1, "a bug"), and on a .json path (the target config passed as --duckdb-path) with
 * "Cannot launch in-memory database in read-only mode".
 */
function isDuckdbFile(file: string): boolean {
  const head = Buffer.alloc(DUCKDB_MAGIC.offset + DUCKDB_MAGIC.bytes.length);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.subarray(DUCKDB_MAGIC.offset).toString('latin1') === DUCKDB_MAGIC.bytes;
  } finally {
    closeSync(fd);
  }
}

/** What a BigQuery user reads instead of this page (the CLI's and serve's refusals). */
export const BIGQUERY_REPORT_HINT = 'On BigQuery, read the same models (fct_ad_spend_daily, fct_cac_monthly, fct_cac_by_channel_monthly, facebook_ads__campaign_report) from your BI tool or Looker Studio.';

export const DEFAULT_REPORT_TITLE = 'Meta Ads — spend and customer acquisition';

export interface WriteReportOptions {
  /** The DuckDB file the target wrote and dbt built its models into. */
  duckdbPath: string;
  /** Where the HTML goes (replaced whole). */
  out: string;
  title?: string;
  /** The raw dataset whose models the report reads (the target config's, or --dataset); absent: the file's only one. */
  dataset?: string;
  /** When the report is made: a last day not over everywhere then was read in part (marts.ts). */
  now: Date;
}

export interface WrittenReport {
  path: string;
  report: ReportData;
  /** The headline figures (highlights.ts), one line each. */
  highlights: string[];
}

/**
 * The report of the warehouse's marts at `now`: its data and its page. Throws ConfigError (exit 2)
 * when the file is missing or holds no built models, and the target's "another run holds the file"
 * TransientError (exit 7) while a sync writes it. Shared by `fb-ads-elt report` and serve's GET report.
 */
export async function buildReport(o: Pick<WriteReportOptions, 'duckdbPath' | 'title' | 'now' | 'dataset'>): Promise<{ report: ReportData; html: string }> {
  const file = path.resolve(o.duckdbPath);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ConfigError(`no DuckDB warehouse at ${file}`, {
      hint: "Point --duckdb-path (or the target config's duckdb_path) at the file `fb-ads-elt sync` wrote, after a sync with --models (or `fb-ads-elt models build`).",
      context: { duckdb_path: file },
    });
  }
  if (!isDuckdbFile(file)) {
    throw new ConfigError(`${file} is not a DuckDB warehouse`, {
      hint: /\.json$/i.test(file)
        ? 'A JSON file is a config, not the warehouse: pass the target config as --target-config (its duckdb_path names the warehouse), or --duckdb-path the file it names.'
        : "Point --duckdb-path (or the target config's duckdb_path) at the file `fb-ads-elt sync` wrote.",
      context: { duckdb_path: file },
    });
  }
  const now = o.now;
  let report: ReportData;
  try {
    report = await loadReportData({ duckdbPath: file, title: o.title ?? DEFAULT_REPORT_TITLE, generatedAt: utcMinute(now), now, ...(o.dataset !== undefined ? { dataset: o.dataset } : {}) });
  } catch (err) {
    throw lockHeldError(err, file) ?? err;
  }
  return { report, html: renderReport(report) };
}

/**
 * Reads the marts and writes the report to `out` through a temporary file beside it, renamed over
 * it (its folder created when missing). Throws as buildReport does, and ConfigError (exit 2) when
 * `out` cannot be written.
 */
export async function writeReport(o: WriteReportOptions): Promise<WrittenReport> {
  const out = path.resolve(o.out);
  const unwritable = whyUnwritable(out);
  if (unwritable) throw new ConfigError(`cannot write the report to ${out}: ${unwritable}`, { hint: 'Choose another --out file.', context: { out } });
  const { report, html } = await buildReport(o);
  // 0o666 less the umask, as the page was written before (it is for people to read).
  writeFileAtomic(out, html, 0o666);
  return { path: out, report, highlights: reportHighlights(report) };
}
