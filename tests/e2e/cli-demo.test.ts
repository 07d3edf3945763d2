// `fb-ads-elt demo` (what `npm run demo` runs), on the small sandbox world and a short period so it
// stays quick: configs, warehouse and report land in --dir, the terminal gets the summary.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'node-html-parser';
import { REPO_ROOT } from '../../connector/core/config.js';

describe('fb-ads-elt demo (CLI)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'e2e-demo-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs sandbox → sync → models → report offline and prints the summary and where the report is', async () => {
    // The demo world follows the run clock (no --today): pinned to just after a year end in UTC, when
    // accounts west of UTC are still in the old year, so the test means the same on any date. The
    // year is far from the one the demo seeds were written around: their dates follow the world.
    const env = { ...process.env, FB_ADS_ELT_NOW: '2030-01-20T00:30:00Z' };
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'demo', '--dir', dir, '--world', 'small', '--days', '25'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err.slice(-3000)).to.equal(0);
    expect(out).to.match(/^fb-ads-elt sync OK in/);
    expect(out).to.include(`Report: ${path.join(dir, 'report.html')}`);
    // Orders, other channels' spend and FX rates surround the synced days (with the seeds left where they were written: 0 new customers).
    // The run day (2030-01-20 in UTC, the reporting zone) makes January the month to date. Facebook
    // was read from 2029-12-27; its accounts west of UTC were still on the 19th, so their last day
    // over was the 18th: the blend runs from the 1st to 2030-01-18 and says so, with a CAC.
    expect(out).to.match(/Blended CAC 2030-01 \(month to date as of 2030-01-18\): [0-9,]+\.[0-9]{2} USD from [1-9][0-9]* new customers\n/);
    for (const f of ['tap.json', 'target.json', 'state.json', 'warehouse.duckdb', 'report.html']) expect(existsSync(path.join(dir, f)), f).to.equal(true);
    const tap = JSON.parse(readFileSync(path.join(dir, 'tap.json'), 'utf8')) as { api_base_url: string; start_date: string; end_date: string };
    expect(tap.api_base_url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tap).to.include({ start_date: '2029-12-27', end_date: '2030-01-20' });
    const html = parse(readFileSync(path.join(dir, 'report.html'), 'utf8'));
    expect(html.querySelector('.meta')?.text).to.include(tap.end_date);
    expect(html.querySelectorAll('svg')).to.have.length(3);
    // The moved seeds stop at the demo's day: nothing dated after "today" in the tables.
    const db = await DuckDBInstance.create(path.join(dir, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
    try {
      const conn = await db.connect();
      const last = (
        await conn.runAndReadAll("select (select max(date_day) from analytics.fct_ad_spend_daily where platform <> 'facebook_ads')::varchar as spend, (select max(cast(ordered_at as date)) from analytics.stg_cac__orders)::varchar as orders")
      ).getRowObjectsJson()[0] as { spend: string; orders: string };
      expect(last).to.deep.equal({ spend: '2030-01-20', orders: '2030-01-20' });
      conn.closeSync();
    } finally {
      db.closeSync();
    }
    // Sandbox tokens never reach the terminal.
    expect(out + err).not.to.match(/sbx_[a-z]+_[0-9a-f]{16,}/);
  });

  /** Runs `fb-ads-elt demo` with bad arguments: the exit code and the message of its last error line. */
  const refused = async (args: string[]): Promise<{ code: number | null; msg: string }> => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'demo', '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, msg: (JSON.parse(err.trim().split('\n').at(-1)!) as { msg: string }).msg };
  };

  it('refuses a --today that is not a calendar day with exit 2, before starting anything', async () => {
    expect(await refused(['--today', '2026-02-30'])).to.deep.equal({ code: 2, msg: '--today "2026-02-30" is not a calendar day' });
  });

  it('refuses an unknown world with exit 2', async () => {
    const r = await refused(['--world', 'huge']);
    expect(r.code).to.equal(2);
    expect(r.msg).to.include('--world must be demo or small');
  });
});
