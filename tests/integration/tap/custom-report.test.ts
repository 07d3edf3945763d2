// A user-defined insights report from config.insights_reports, end to end: its stream appears in the
// catalog, its schema is the level schema plus the breakdown column, its key is derived, and the
// breakdown never goes into fields= (the API rejects it there, facts §4.1).
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, killRunningTaps, recordingProxy, runTap, schemaProblems, sumDecimals, tapConfig, tempDir, TEST_TODAY, type Recorder } from './helpers.js';

describe('tap-facebook-ads with a custom insights report from config (child process)', function () {
  this.timeout(90_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  it('syncs a campaign × country report keyed by campaign, day and country whose countries add up to the campaign spend', async () => {
    const acct = sb.world.accounts[0]!;
    const config = tapConfig(sb, rec.baseUrl, { insights_reports: [{ name: 'insights_campaign_country', level: 'campaign', breakdowns: ['country'] }] });
    const discovered = await runTap({ now: sb.now(), config, args: ['--discover'], dir: tmp.dir, rawStdout: true });
    const catalog = JSON.parse(discovered.stdout) as { streams: Array<{ stream: string; key_properties: string[]; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
    const entry = catalog.streams.find((s) => s.stream === 'insights_campaign_country')!;
    expect(entry.key_properties).to.deep.equal(['campaign_id', 'date_start', 'country']);
    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = ['insights_campaign_country', 'insights_campaign'].includes(s.stream);

    const mark = rec.calls.length;
    const r = await runTap({ now: sb.now(), config, catalog, args: ['--account', acct.accountId, '--days', '3'], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(schemaProblems(r.messages)).to.deep.equal([]);
    const rows = r.records('insights_campaign_country');
    expect(rows.length).to.be.greaterThan(0);
    const keys = rows.map((x) => `${String(x['campaign_id'])}|${String(x['date_start'])}|${String(x['country'])}`);
    expect(new Set(keys).size).to.equal(keys.length);
    expect(rows.every((x) => typeof x['country'] === 'string' && x['country'] !== '')).to.equal(true);
    const posts = rec.calls.slice(mark).filter((c) => c.method === 'POST' && c.params.get('breakdowns') !== undefined && c.params.get('breakdowns') !== null);
    expect(posts.length).to.be.greaterThan(0);
    for (const p of posts) {
      expect(JSON.parse(p.params.get('breakdowns')!)).to.deep.equal(['country']);
      expect(p.params.get('fields')).to.not.match(/\bcountry\b/);
    }
    const today = dayInZone(sb.now(), acct.timezone);
    expect(rows.every((x) => String(x['date_start']) >= addDays(today, -2))).to.equal(true);
    for (const c of r.records('insights_campaign')) {
      const parts = rows.filter((x) => x['campaign_id'] === c['campaign_id'] && x['date_start'] === c['date_start']).map((x) => x['spend']);
      expect(sumDecimals(parts), `${String(c['campaign_id'])} ${String(c['date_start'])}`).to.equal(sumDecimals([c['spend']]));
    }
  });

  it('refuses (exit 2, before any call) a state whose report was read with other breakdowns: its table holds rows of the old key, and the new ones would be added beside them', async () => {
    // by_demo read by country, then the user switches it to age: the lookback's rows came back keyed
    // by campaign, day and age while the country rows stayed, and the table's spend doubled there.
    const acct = sb.world.accounts[0]!;
    const report = (breakdowns: string[]) => tapConfig(sb, rec.baseUrl, { account_ids: [acct.accountId], start_date: addDays(TEST_TODAY, -3), insights_reports: [{ name: 'by_demo', level: 'campaign', breakdowns }] });
    const catalog = (config: Record<string, unknown>) => catalogSelecting(['by_demo'], config as Parameters<typeof catalogSelecting>[1]);
    const first = await runTap({ now: sb.now(), config: report(['country']), catalog: catalog(report(['country'])), dir: tmp.dir });
    expect(first.code, first.stderr.slice(-1500)).to.equal(0);
    const mark = rec.calls.length;
    const second = await runTap({ now: sb.now(), config: report(['age']), catalog: catalog(report(['age'])), state: first.lastState(), dir: tmp.dir });
    expect(second.code, second.stderr.slice(-1500)).to.equal(2);
    const error = second.logs().find((l) => l['level'] === 'error')!;
    expect(String(error['msg'])).to.include(`state.bookmarks.by_demo.${acct.accountId} was read keyed by campaign_id, date_start, country; the report is now keyed by campaign_id, date_start, age`);
    expect(String(error['hint'])).to.include('new name');
    expect(second.records('by_demo')).to.deep.equal([]);
    expect(rec.calls.length - mark, 'no Graph call').to.equal(0);
    // The same breakdowns, in another order, are the same report.
    const again = await runTap({ now: sb.now(), config: report(['country']), catalog: catalog(report(['country'])), state: first.lastState(), dir: tmp.dir });
    expect(again.code, again.stderr.slice(-1500)).to.equal(0);
  });
});
