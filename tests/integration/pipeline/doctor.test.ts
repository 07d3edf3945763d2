// `fb-ads-elt doctor` as a new user runs it: the shipped bin against the Graph sandbox, on the
// sandbox's clock. It must name what is wrong (config key, token, account) with what to do, and
// exit with the code of the most basic problem.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nowEnv } from '../../../connector/core/clock.js';
import { REPO_ROOT } from '../../../connector/core/config.js';
import type { DoctorReport } from '../../../connector/pipeline/doctor.js';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';

describe('fb-ads-elt doctor (CLI, against the sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 4 });
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-'));
  });
  afterEach(() => sb.faults.clear());
  after(async () => {
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tokens = (): Array<{ label: string; token: string }> => sb.tokens.map((t) => ({ label: t.label, token: t.token }));
  /** Runs doctor on `config` written to a file, or given as TAP_FACEBOOK_ADS_* variables (`--config ENV`) when `config` is 'ENV' and `env` holds them. */
  const doctor = async (config: unknown, extra: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> => {
    const file = config === 'ENV' ? 'ENV' : path.join(dir, `tap-${Math.random().toString(36).slice(2)}.json`);
    if (config !== 'ENV') writeFileSync(file, JSON.stringify(config));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'doctor', '--config', file, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...nowEnv(sb.now()), ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, out, err };
  };
  const base = (): Record<string, unknown> => ({ access_tokens: tokens(), api_base_url: sb.baseUrl, retry_base_ms: 5, max_retries: 1 });

  it('reports every token and every reachable account and exits 0 when all is well', async () => {
    const r = await doctor(base(), ['--json']);
    expect(r.code, r.err).to.equal(0);
    const report = JSON.parse(r.out) as DoctorReport;
    expect(report.tokens.map((t) => t.label)).to.deep.equal(sb.tokens.map((t) => t.label));
    expect(report.tokens.every((t) => t.valid && t.scopes.includes('ads_read'))).to.equal(true);
    expect(report.accounts.map((a) => a.account_id).sort()).to.deep.equal(sb.world.accounts.map((a) => a.accountId).sort());
    expect(report.accounts.every((a) => a.insights.ok)).to.equal(true);
    // A token without business_management is flagged as a next step, with what it costs.
    const noBm = sb.tokens.find((t) => !t.scopes.includes('business_management'));
    if (noBm) expect(report.next_steps.join('\n')).to.include(`token "${noBm.label}" has no business_management scope`);
    for (const t of sb.tokens) expect(r.out + r.err).not.to.include(t.token);
  });

  it('lists a closed account as one sync skips, says so in the next steps, reads nothing from it and still exits 0', async () => {
    const acct = sb.world.accounts[1]!;
    const status = acct.accountStatus;
    acct.accountStatus = 101;
    sb.resetStats();
    try {
      const r = await doctor(base(), ['--json']);
      expect(r.code, r.err).to.equal(0);
      const report = JSON.parse(r.out) as DoctorReport;
      expect(report.accounts.find((a) => a.account_id === acct.accountId)?.skipped).to.include('CLOSED');
      expect(report.next_steps.join('\n')).to.include(`ad account ${acct.accountId} is CLOSED`);
      expect(report.accounts.filter((a) => a.account_id !== acct.accountId).every((a) => a.skipped === null)).to.equal(true);
      expect(sb.stats().byAccount[acct.accountId] ?? 0, 'calls on the closed account').to.equal(0);
    } finally {
      acct.accountStatus = status;
    }
  });

  it('names an account a token cannot read insights on, with the fix, and exits 4', async () => {
    const victim = sb.world.accounts[0]!.accountId;
    sb.faults.add({ kind: 'account_forbidden', accountId: victim });
    const r = await doctor(base());
    expect(r.code, r.err).to.equal(4);
    const line = r.out.split('\n').find((l) => l.includes(`act_${victim}`));
    expect(line).to.match(/^ {2}✘ /);
    expect(line).to.include('insights not readable');
    expect(r.out).to.match(/Next steps\n {2}- \S/);
  });

  it('names an invalid token and exits 3, still checking the accounts the other tokens reach', async () => {
    const r = await doctor({ ...base(), access_tokens: [...tokens(), { label: 'pasted_wrong', token: 'not-a-real-token-at-all' }] }, ['--json']);
    expect(r.code, r.err).to.equal(3);
    const report = JSON.parse(r.out) as DoctorReport;
    const bad = report.tokens.find((t) => t.label === 'pasted_wrong')!;
    expect(bad.valid).to.equal(false);
    expect(bad.problem?.what).to.include('token "pasted_wrong" is not valid');
    expect(bad.problem?.fix).to.include('long-lived token');
    expect(report.accounts).to.have.length(sb.world.accounts.length);
    expect(r.out).not.to.include('not-a-real-token-at-all');
  });

  it('names the variable, not config.access_tokens, in the fix for a dead token when the settings come from the environment (--config ENV)', async () => {
    const env = { TAP_FACEBOOK_ADS_ACCESS_TOKEN: 'not-a-real-token-at-all', TAP_FACEBOOK_ADS_API_BASE_URL: sb.baseUrl, TAP_FACEBOOK_ADS_MAX_RETRIES: '1', TAP_FACEBOOK_ADS_RETRY_BASE_MS: '5' };
    const fixes = async (config: unknown, vars: Record<string, string>): Promise<string | undefined> => (JSON.parse((await doctor(config, ['--json'], vars)).out) as DoctorReport).tokens[0]?.problem?.fix;
    expect(await fixes('ENV', env)).to.match(/; put it into TAP_FACEBOOK_ADS_ACCESS_TOKENS\.$/);
    expect(await fixes({ access_token: 'not-a-real-token-at-all', api_base_url: sb.baseUrl, max_retries: 1, retry_base_ms: 5 }, {})).to.match(/; put it into config\.access_tokens\.$/);
  });

  describe('--state-file', () => {
    const stateFile = (content: string | undefined): string => {
      const file = path.join(dir, `state-${Math.random().toString(36).slice(2)}.json`);
      if (content !== undefined) writeFileSync(file, content);
      return file;
    };
    const bookmark = { updated_time: '2025-06-01T00:00:00Z' };

    it('lists the streams and ad accounts with a bookmark, names a stream this config does not read, and exits 0', async () => {
      const file = stateFile(JSON.stringify({ bookmarks: { campaigns: { '111': bookmark, act_222: bookmark }, campaign: { '111': bookmark } } }));
      const r = await doctor(base(), ['--state-file', file, '--json']);
      expect(r.code, r.err).to.equal(0);
      const report = JSON.parse(r.out) as DoctorReport;
      expect(report.state_file).to.deep.equal({
        file,
        bookmarks: { campaigns: ['111', '222'], campaign: ['111'] },
        unknown_streams: ['campaign'],
        findings: [{ ok: true, what: `state file ${file} is valid: bookmarks of 2 stream(s) for 2 ad account(s)` }],
      });
      expect(report.next_steps.join('\n')).to.include(`State file ${file} has bookmarks of "campaign", which this config does not read`);
      const text = await doctor(base(), ['--state-file', file]);
      expect(text.out).to.include(`State file\n  ✔ state file ${file} is valid: bookmarks of 2 stream(s) for 2 ad account(s)\n    campaigns: 2 account(s) (act_111, act_222)\n    campaign: 1 account(s) (act_111) — not a stream this config reads\n`);
    });

    it('says a missing state file is a first run, and refuses (exit 2) what sync refuses: a folder that does not exist, a broken file, a bookmark after the clock', async () => {
      const missing = stateFile(undefined);
      const first = JSON.parse((await doctor(base(), ['--state-file', missing, '--json'])).out) as DoctorReport;
      expect(first.exit_code).to.equal(0);
      expect(first.state_file?.findings).to.deep.equal([{ ok: true, what: `state file ${missing} does not exist yet: the next sync reads every stream from start_date and saves its state there` }]);
      const future = { updated_time: new Date(sb.now().getTime() + 3 * 86_400_000).toISOString() };
      const cases: Array<[string, RegExp]> = [
        [path.join(dir, 'no-such-folder', 'state.json'), /^the folder of state file .*no-such-folder\/state\.json does not exist/],
        [stateFile('{"bookmarks": {'), /^state file \S+ line \d+, column \d+: .*\(not valid JSON\)$/],
        [stateFile(JSON.stringify({ bookmarks: { campaigns: { '111': future } } })), /state\.bookmarks\.campaigns\.111\.updated_time/],
      ];
      for (const [file, message] of cases) {
        const r = await doctor(base(), ['--state-file', file, '--json']);
        expect(r.code, file).to.equal(2);
        const finding = (JSON.parse(r.out) as DoctorReport).state_file?.findings[0];
        expect(finding?.ok).to.equal(false);
        expect(finding?.what).to.match(message);
        expect(finding?.fix, 'says what to do').to.be.a('string').and.not.equal('');
      }
    });

    it('with --target-config, refuses (exit 2) a state file with bookmarks whose DuckDB warehouse does not exist, as sync does', async () => {
      const target = path.join(dir, 'target-missing-warehouse.json');
      writeFileSync(target, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(dir, 'moved.duckdb') }));
      const file = stateFile(JSON.stringify({ bookmarks: { campaigns: { '111': bookmark } } }));
      const r = await doctor(base(), ['--state-file', file, '--target-config', target, '--json']);
      expect(r.code, r.err).to.equal(2);
      const findings = (JSON.parse(r.out) as DoctorReport).state_file?.findings ?? [];
      expect(findings.map((f) => f.ok)).to.deep.equal([true, false]);
      expect(findings[1]?.what).to.match(/holds bookmarks of an earlier run, but the warehouse it loaded into, duckdb_path .*moved\.duckdb, does not exist/);
    });
  });

  it('names the config key that is wrong and exits 2 without calling Meta', async () => {
    sb.resetStats();
    const r = await doctor({ ...base(), insights_lookback_days: 90 });
    expect(r.code, r.err).to.equal(2);
    // The file is named once (by the config error itself), the hint without "above".
    expect(r.out).to.match(/✘ Invalid tap config \([^)]*\.json\): config\.insights_lookback_days/);
    expect(r.out).to.include('Fix the fields named in the message');
    expect(sb.stats().requests).to.equal(0);
  });
});
