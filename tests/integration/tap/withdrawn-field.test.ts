// A field Meta withdraws between two runs (airbytehq/airbyte#38835): the sandbox starts answering
// "(#100) Tried accessing nonexisting field (x) on node type (T)" for reads asking for it. The tap
// leaves it out for the rest of the run, warns once, lists it in the summary and emits the rows with
// the field null; a withdrawn replication key fails clearly (exit 2). Clocks pinned, sandbox per test.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { catalogSelecting, killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

describe('tap-facebook-ads: a field Meta withdraws between runs (child process, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
  });
  afterEach(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });
  const run = (): Promise<TapRun> => runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: TEST_TODAY }), catalog: catalogSelecting(['campaigns', 'ad_sets', 'sync_log']), dir: tmp.dir });
  /** The fields each recorded call to `path` asked for: the tap sends them as a JSON list (a comma list is read too). */
  const fieldsOf = (path: RegExp, method?: string): string[][] =>
    rec.calls
      .filter((c) => path.test(c.path) && (method === undefined || c.method === method))
      .map((c) => {
        const f = c.params.get('fields') ?? '';
        return f.startsWith('[') ? (JSON.parse(f) as string[]) : f.split(',');
      });

  it('leaves the field out for the rest of the run with one warning, lists it in the summary, and emits every ad set with it null', async () => {
    const before = await run();
    expect(before.code, before.stderr.slice(-1500)).to.equal(0);
    expect(
      before.records('ad_sets').some((r) => typeof r['bid_strategy'] === 'string'),
      'bid_strategy is read while Meta serves it',
    ).to.equal(true);
    sb.withdrawField('AdSet', 'bid_strategy');
    rec.calls.length = 0;
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    const rows = r.records('ad_sets');
    expect(rows.map((x) => x['id']).sort()).to.deep.equal(
      before
        .records('ad_sets')
        .map((x) => x['id'])
        .sort(),
    );
    for (const x of rows) expect(x['bid_strategy'], String(x['id'])).to.equal(null);
    expect(rows.every((x) => typeof x['name'] === 'string')).to.equal(true);
    const warns = r.logs().filter((l) => l['level'] === 'warn' && l['field'] === 'bid_strategy');
    expect(warns, 'one warning for the run, though several accounts met it').to.have.length(1);
    expect(String(warns[0]!['msg'])).to.include('bid_strategy').and.to.include('ad_sets');
    const summary = r.logs().find((l) => l['type'] === 'summary')!;
    const listed = summary['withdrawn_fields'] as Array<Record<string, unknown>>;
    expect(listed.map((w) => `${String(w['stream'])}.${String(w['field'])}`)).to.deep.equal(['ad_sets.bid_strategy']);
    expect(String(listed[0]!['message'])).to.include('Tried accessing nonexisting field (bid_strategy) on node type (AdCampaign)');
    expect(String(summary['msg'])).to.include('ad_sets.bid_strategy');
    const asked = fieldsOf(/^\/act_\d+\/adsets$/);
    expect(asked.length).to.be.greaterThan(1);
    expect(
      asked.every((f) => f.includes('name')),
      'the fields are read from the calls',
    ).to.equal(true);
    const withIt = asked.filter((f) => f.includes('bid_strategy')).length;
    expect(withIt, 'asked for it until Meta refused it, then never again').to.be.within(1, asked.length - 1);
    expect(asked.at(-1)).to.not.include('bid_strategy');
    const schema = r.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'ad_sets')!;
    expect(Object.keys((schema.schema as { properties: object }).properties), 'the schema is not changed mid-run').to.include('bid_strategy');
    for (const l of r.records('sync_log')) expect(l['status'], String(l['account_id'])).to.equal('ok');
  });

  it('fails with exit 2 and a message naming the field when Meta withdraws the replication key', async () => {
    sb.withdrawField('AdSet', 'updated_time');
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(2);
    expect(r.stderr).to.include('no longer serves updated_time on the ad_sets stream');
    expect(r.records('campaigns').length, 'the streams before it were read').to.be.greaterThan(0);
  });

  describe('an insights metric', () => {
    const runInsights = (): Promise<TapRun> => runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: '2026-11-15', insights_max_days_per_job: 3 }), catalog: catalogSelecting(['insights_ad', 'insights_account', 'sync_log']), dir: tmp.dir });
    it('is left out of the report runs after Meta refuses it: jobs are re-created without it, one warning, listed in the summary, rows emitted with it null', async () => {
      const before = await runInsights();
      expect(before.code, before.stderr.slice(-1500)).to.equal(0);
      expect(before.records('insights_ad').some((r) => typeof r['inline_link_clicks'] === 'string' || typeof r['inline_link_clicks'] === 'number')).to.equal(true);
      sb.withdrawField('AdsInsights', 'inline_link_clicks');
      rec.calls.length = 0;
      const r = await runInsights();
      expect(r.code, r.stderr.slice(-2000)).to.equal(0);
      const key = (x: Record<string, unknown>): string => `${String(x['ad_id'])}|${String(x['date_start'])}`;
      expect(r.records('insights_ad').map(key).sort(), 'every row of the report is read').to.deep.equal(before.records('insights_ad').map(key).sort());
      for (const x of r.records('insights_ad')) expect(x['inline_link_clicks'], key(x)).to.equal(null);
      expect(r.records('insights_ad').every((x) => x['impressions'] !== null && x['impressions'] !== undefined)).to.equal(true);
      const warns = r.logs().filter((l) => l['level'] === 'warn' && l['field'] === 'inline_link_clicks');
      expect(warns.map((w) => w['stream']).sort(), 'one warning per report that asked for it').to.deep.equal(['insights_account', 'insights_ad']);
      const summary = r.logs().find((l) => l['type'] === 'summary')!;
      const listed = (summary['withdrawn_fields'] as Array<Record<string, unknown>>).map((w) => `${String(w['stream'])}.${String(w['field'])}`).sort();
      expect(listed).to.deep.equal(['insights_account.inline_link_clicks', 'insights_ad.inline_link_clicks']);
      const asked = fieldsOf(/^\/act_\d+\/insights$/, 'POST');
      expect(asked.filter((f) => f.includes('inline_link_clicks')).length, 'asked until Meta refused it, then never again').to.be.within(1, asked.length - 1);
      expect(asked.at(-1)).to.not.include('inline_link_clicks');
      for (const l of r.records('sync_log')) expect(l['status'], String(l['account_id'])).to.equal('ok');
    });

    it('fails with exit 2 naming the field when Meta withdraws a key of the report', async () => {
      sb.withdrawField('AdsInsights', 'ad_id');
      const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: '2026-11-18' }), catalog: catalogSelecting(['insights_ad', 'sync_log']), dir: tmp.dir });
      expect(r.code, r.stderr.slice(-1500)).to.equal(2);
      expect(r.stderr).to.include('no longer serves ad_id on the insights_ad stream');
    });
  });
});
