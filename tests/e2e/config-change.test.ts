// `fb-ads-elt sync` across a change of the tap config, as a user makes it: the shipped bin, the sandbox,
// one state file and one DuckDB file kept between runs. Narrowing account_ids must not mark the
// accounts left out deleted; moving start_date back must read the days it adds, not ignore them.
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { nowEnv } from '../../connector/core/clock.js';
import { addDays } from '../../connector/core/dates.js';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { TEST_TODAY } from '../integration/tap/helpers.js';

type State = { bookmarks: Record<string, Record<string, Record<string, unknown>>> };

describe('fb-ads-elt sync after a change of the tap config (CLI, sandbox, DuckDB)', function () {
  this.timeout(300_000);
  let sandbox: Sandbox;
  let dir: string;

  before(async () => {
    sandbox = await startSandbox({ world: 'small', today: TEST_TODAY, jobDurationMs: 10 });
    dir = mkdtempSync(path.join(tmpdir(), 'e2e-config-change-'));
  });
  after(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One `fb-ads-elt sync` with this tap config, on the case's own state and DuckDB files; its exit code, run id and stderr. */
  function sync(name: string, tap: Record<string, unknown>, extra: readonly string[] = []): Promise<{ code: number | null; runId: string; stderr: string }> {
    const config = {
      access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })),
      api_base_url: sandbox.baseUrl,
      insights_lookback_days: 2,
      insights_poll_interval_seconds: 0.02,
      retry_base_ms: 10,
      ...tap,
    };
    writeFileSync(path.join(dir, `${name}.tap.json`), JSON.stringify(config));
    writeFileSync(path.join(dir, `${name}.target.json`), JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(dir, `${name}.duckdb`) }));
    const args = ['--config', `${name}.tap.json`, '--target-config', `${name}.target.json`, '--state-file', `${name}.state.json`].map((a) => (a.startsWith('--') ? a : path.join(dir, a)));
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'sync', ...args, ...extra, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...nowEnv(sandbox.now()) } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, runId: String((JSON.parse(out) as { run_id: string }).run_id), stderr: err }));
    });
  }

  async function query(name: string, sql: string): Promise<Array<Record<string, unknown>>> {
    const db = await DuckDBInstance.create(path.join(dir, `${name}.duckdb`), { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }
  /** An account that delivers (account_status 1): one with insights to read. */
  const activeAccount = (): string => sandbox.world.accounts.find((a) => a.accountStatus === 1)!.accountId;
  const logs = (stderr: string): Array<Record<string, unknown>> =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('keeps the ad accounts account_ids no longer names as they are (not deleted), and still marks deleted an account no token reaches any more', async () => {
    const start = { start_date: addDays(TEST_TODAY, -2) };
    expect((await sync('narrow', start)).code).to.equal(0);
    const all = (await query('narrow', 'select account_id from facebook_ads.ad_accounts where _sdc_deleted_at is null order by 1')).map((r) => String(r['account_id']));
    expect(all.length, 'the tokens reach several accounts').to.be.greaterThan(2);
    const [kept, gone] = all as [string, string];

    const narrowed = await sync('narrow', { ...start, account_ids: [kept] });
    expect(narrowed.code, narrowed.stderr.slice(-2000)).to.equal(0);
    expect(await query('narrow', 'select account_id from facebook_ads.ad_accounts where _sdc_deleted_at is not null')).to.deep.equal([]);
    expect(await query('narrow', 'select id from facebook_ads.pixels where _sdc_deleted_at is not null')).to.deep.equal([]);
    // Only the kept account is read; the ones the first run synced get a row saying they are no longer synced.
    const lastRun = await query('narrow', `select account_id, status, error_message from facebook_ads.sync_log where run_id = '${narrowed.runId}' order by 1`);
    const firstRun = await query('narrow', `select account_id from facebook_ads.sync_log where status <> 'skipped' and run_id <> '${narrowed.runId}' order by 1`);
    expect(lastRun.filter((r) => r['status'] !== 'skipped').map((r) => r['account_id'])).to.deep.equal([kept]);
    expect(lastRun.filter((r) => r['status'] === 'skipped').map((r) => r['account_id'])).to.deep.equal(firstRun.map((r) => r['account_id']).filter((a) => a !== kept));
    for (const r of lastRun.filter((x) => x['status'] === 'skipped')) expect(String(r['error_message'])).to.match(/no longer synced: config\.account_ids leaves it out/);

    // The account is then gone from Meta for every token: the narrowed run still knows it, and says so.
    const lists = [...sandbox.world.users.map((u) => u.accountIds), ...sandbox.world.businesses.flatMap((b) => [b.ownedAccountIds, b.clientAccountIds])];
    const saved = lists.map((ids) => [...ids]);
    for (const ids of lists) ids.splice(0, ids.length, ...ids.filter((id) => id !== gone));
    try {
      expect((await sync('narrow', { ...start, account_ids: [kept] })).code).to.equal(0);
    } finally {
      lists.forEach((ids, i) => ids.splice(0, ids.length, ...saved[i]!));
    }
    const deleted = await query('narrow', 'select account_id from facebook_ads.ad_accounts where _sdc_deleted_at is not null');
    expect(deleted.map((r) => r['account_id'])).to.deep.equal([gone]);
  });

  it('reads the days a start_date moved back adds before the first day the bookmarks cover, in the next run, keeping the bookmarks, and says so once', async () => {
    const account = activeAccount();
    const late = addDays(TEST_TODAY, -6);
    const early = addDays(TEST_TODAY, -12);
    expect((await sync('backfill', { account_ids: [account], start_date: late })).code).to.equal(0);
    const bookmarks = (): Record<string, Record<string, unknown>> => {
      const s = JSON.parse(readFileSync(path.join(dir, 'backfill.state.json'), 'utf8')) as State;
      return Object.fromEntries(Object.entries(s.bookmarks).flatMap(([stream, per]) => (stream.startsWith('insights_') && per[account] ? [[stream, per[account]]] : [])));
    };
    const before = bookmarks();
    expect(Object.keys(before)).to.include.members(['insights_account', 'insights_ad']);
    for (const b of Object.values(before)) expect(b['first_day']).to.equal(late);

    const moved = await sync('backfill', { account_ids: [account], start_date: early });
    expect(moved.code, moved.stderr.slice(-2000)).to.equal(0);
    const days = await query('backfill', `select min(date_start)::varchar as first, count(distinct date_start) as days from facebook_ads.insights_account where account_id = '${account}'`);
    expect(days[0]).to.deep.include({ first: early });
    const after = bookmarks();
    for (const [stream, b] of Object.entries(after)) {
      expect(b['first_day'], stream).to.equal(early);
      expect(b['date_start'], stream).to.equal(before[stream]!['date_start']);
    }
    const warnings = logs(moved.stderr).filter((l) => l['level'] === 'warn' && String(l['msg']).includes(`config.start_date ${early} is before the first day`));
    expect(warnings, moved.stderr.slice(-2000)).to.have.length(1);
    expect(warnings[0]!['streams']).to.include.members(Object.keys(before));
    expect(String(warnings[0]!['hint'])).to.match(/`fb-ads-elt sync … --full-refresh insights_\w+(,insights_\w+)*`, or `meltano run --full-refresh …`\.$/);

    // A third run is incremental again: nothing before its lookback is asked for, nothing is said.
    const third = await sync('backfill', { account_ids: [account], start_date: early });
    expect(third.code).to.equal(0);
    expect(logs(third.stderr).filter((l) => String(l['msg']).includes('is before the first day'))).to.deep.equal([]);
  });

  it('reads back as far as Meta keeps insights when start_date is dropped from the config, and its warning says so (it named an empty start_date)', async () => {
    const account = activeAccount();
    expect((await sync('unbounded', { account_ids: [account], start_date: addDays(TEST_TODAY, -2) })).code).to.equal(0);
    const r = await sync('unbounded', { account_ids: [account] });
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    const said = logs(r.stderr).filter((l) => String(l['msg']).includes('before the first day the bookmarks'));
    expect(said.map((l) => l['msg'])).to.deep.equal([
      'with no config.start_date, insights are read as far back as Meta keeps them (37 months): before the first day the bookmarks of insights_account (1 account), insights_campaign (1 account), insights_adset (1 account), insights_ad (1 account) cover: this run also reads the days in between, and the bookmarks keep their place',
    ]);
    const first = await query('unbounded', `select min(date_start)::varchar as first from facebook_ads.insights_account where account_id = '${account}'`);
    expect(String(first[0]!['first']) < addDays(TEST_TODAY, -2)).to.equal(true);
  });

  it('says a --days run leaves the days a start_date moved back adds to the next run without --days, which reads them', async () => {
    const account = activeAccount();
    const [late, early] = [addDays(TEST_TODAY, -2), addDays(TEST_TODAY, -8)];
    const first = async (): Promise<string> => String((await query('days', `select min(date_start)::varchar as first from facebook_ads.insights_account where account_id = '${account}'`))[0]!['first']);
    expect((await sync('days', { account_ids: [account], start_date: late })).code).to.equal(0);
    const short = await sync('days', { account_ids: [account], start_date: early }, ['--days', '2']);
    expect(short.code, short.stderr.slice(-2000)).to.equal(0);
    const said = logs(short.stderr).filter((l) => String(l['msg']).includes('before the first day the bookmarks'));
    expect(said.map((l) => l['msg'])).to.deep.equal([
      `config.start_date ${early} is before the first day the bookmarks of insights_account (1 account), insights_campaign (1 account), insights_adset (1 account), insights_ad (1 account) cover: a --days run reads its last 2 days only, so the days in between wait for the next run without --days`,
    ]);
    expect(await first()).to.equal(late);
    const full = await sync('days', { account_ids: [account], start_date: early });
    expect(full.code, full.stderr.slice(-2000)).to.equal(0);
    expect(await first()).to.equal(early);
  });

  it('stays silent for a state written before first_day was recorded: its start is unknown, nothing is guessed', async () => {
    const account = activeAccount();
    expect((await sync('legacy', { account_ids: [account], start_date: addDays(TEST_TODAY, -6) })).code).to.equal(0);
    const file = path.join(dir, 'legacy.state.json');
    const s = JSON.parse(readFileSync(file, 'utf8')) as State;
    for (const per of Object.values(s.bookmarks)) for (const b of Object.values(per)) delete b['first_day'];
    writeFileSync(file, JSON.stringify(s));
    const r = await sync('legacy', { account_ids: [account], start_date: addDays(TEST_TODAY, -12) });
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    expect(logs(r.stderr).filter((l) => l['level'] === 'warn')).to.deep.equal([]);
    const first = await query('legacy', `select min(date_start)::varchar as first from facebook_ads.insights_account where account_id = '${account}'`);
    expect(first[0]!['first']).to.equal(addDays(TEST_TODAY, -6));
  });
});
