// Custom insights reports checked against Meta's breakdown rules before any call (issue 18 part 6):
// platform_position needs publisher_platform, hourly breakdowns take no reach/frequency/unique/video
// fields (exit 2, nothing asked of Meta); an hourly report without `fields` leaves them out of its
// schema and request; reach/frequency/cpp are not asked for breakdown days older than 13 months
// (Meta omits them there), and a later run does not go back for them.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, addMonths, dayInZone } from '../../../connector/core/dates.js';
import { killRunningTaps, recordingProxy, runTap, schemaProblems, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

const HOURLY = 'hourly_stats_aggregated_by_advertiser_time_zone';
/** `fields=` as the tap sends it (a JSON array). */
const fieldsOf = (p: URLSearchParams): string[] => JSON.parse(p.get('fields')!) as string[];
type Catalog = { streams: Array<{ stream: string; schema: { properties: Record<string, unknown> }; metadata: Array<{ metadata: Record<string, unknown> }> }> };

describe("tap-facebook-ads: custom insights reports against Meta's breakdown rules (child process)", function () {
  this.timeout(180_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let acct: Sandbox['world']['accounts'][number];
  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    acct = sb.world.accounts[0]!;
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  const refused: Array<{ name: string; report: Record<string, unknown>; message: RegExp }> = [
    { name: 'platform_position without publisher_platform', report: { name: 'insights_position', level: 'ad', breakdowns: ['platform_position'] }, message: /breakdown platform_position needs publisher_platform/ },
    { name: 'an hourly report asking for reach', report: { name: 'insights_hourly', level: 'campaign', breakdowns: [HOURLY], fields: ['impressions', 'reach'] }, message: /hourly breakdown .* cannot return reach/ },
    { name: 'an hourly report asking for unique and video metrics', report: { name: 'insights_hourly', level: 'ad', breakdowns: [HOURLY], fields: ['spend', 'unique_clicks', 'video_p25_watched_actions'] }, message: /cannot return unique_clicks, video_p25_watched_actions/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with exit 2 before any Graph call, naming the report`, async () => {
      const mark = rec.calls.length;
      for (const args of [['--discover'], []]) {
        const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { insights_reports: [c.report] }), args, dir: tmp.dir });
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stdout).to.equal('');
        const last = r.logs().at(-1)!;
        expect(String(last['msg']))
          .to.match(c.message)
          .and.to.include(`"${String(c.report['name'])}"`);
        expect(String(last['hint'])).to.not.equal('');
      }
      expect(rec.calls.length - mark).to.equal(0);
    });
  }

  it("an hourly report without fields gets the level's metrics less reach, frequency, cpp, unique_* and video_*, in its schema and its requests", async () => {
    const config = tapConfig(sb, rec.baseUrl, { insights_reports: [{ name: 'insights_campaign_hourly', level: 'campaign', breakdowns: [HOURLY] }] });
    const discovered = await runTap({ now: sb.now(), config, args: ['--discover'], dir: tmp.dir, rawStdout: true });
    const catalog = JSON.parse(discovered.stdout) as Catalog;
    const props = Object.keys(catalog.streams.find((s) => s.stream === 'insights_campaign_hourly')!.schema.properties);
    expect(props).to.include.members(['spend', 'impressions', 'clicks', HOURLY]);
    expect(props.filter((p) => /^(reach|frequency|cpp|unique_|cost_per_unique_|video_)/.test(p))).to.deep.equal([]);
    const daily = Object.keys(catalog.streams.find((s) => s.stream === 'insights_campaign')!.schema.properties);
    expect(daily).to.include.members(['reach', 'frequency', 'unique_clicks', 'video_p25_watched_actions']);

    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = s.stream === 'insights_campaign_hourly';
    const mark = rec.calls.length;
    const r = await runTap({ now: sb.now(), config, catalog, args: ['--account', acct.accountId, '--days', '2'], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(schemaProblems(r.messages)).to.deep.equal([]);
    expect(r.records('insights_campaign_hourly').length).to.be.greaterThan(0);
    const posts = rec.calls.slice(mark).filter((c) => c.method === 'POST' && /\/insights$/.test(c.path));
    expect(posts.length).to.be.greaterThan(0);
    for (const p of posts) {
      expect(JSON.parse(p.params.get('breakdowns')!)).to.deep.equal([HOURLY]);
      expect(
        p.params
          .get('fields')!
          .split(',')
          .filter((f) => /^(reach|frequency|cpp|unique_|video_)/.test(f)),
      ).to.deep.equal([]);
    }
  });

  describe('a breakdown report whose range starts more than 13 months ago', () => {
    let config: Record<string, unknown>;
    let catalog: Catalog;
    let first: TapRun;
    let firstPosts: URLSearchParams[];
    let cutoff: string;
    const postsSince = (mark: number): URLSearchParams[] =>
      rec.calls
        .slice(mark)
        .filter((c) => c.method === 'POST' && /\/insights$/.test(c.path))
        .map((c) => c.params);
    const range = (p: URLSearchParams): { since: string; until: string } => JSON.parse(p.get('time_range')!) as { since: string; until: string };
    const asksReach = (p: URLSearchParams): boolean => fieldsOf(p).includes('reach');

    before(async () => {
      const today = dayInZone(sb.now(), acct.timezone);
      cutoff = addMonths(today, -13);
      config = tapConfig(sb, rec.baseUrl, { start_date: addMonths(today, -14), insights_max_days_per_job: 93, insights_lookback_days: 3, insights_reports: [{ name: 'insights_account_gender', level: 'account', breakdowns: ['gender'] }] });
      const discovered = await runTap({ now: sb.now(), config, args: ['--discover'], dir: tmp.dir, rawStdout: true });
      catalog = JSON.parse(discovered.stdout) as Catalog;
      for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = s.stream === 'insights_account_gender';
      const mark = rec.calls.length;
      first = await runTap({ now: sb.now(), config, catalog, args: ['--account', acct.accountId], dir: tmp.dir });
      expect(first.code, first.stderr.slice(-1500)).to.equal(0);
      firstPosts = postsSince(mark);
    });

    it('asks reach, frequency and cpp only of jobs starting on or after the 13-month cutoff, splitting the job that would straddle it', () => {
      const old = firstPosts.filter((p) => range(p).since < cutoff);
      const recent = firstPosts.filter((p) => range(p).since >= cutoff);
      expect(old.length).to.be.greaterThan(0);
      expect(recent.length).to.be.greaterThan(0);
      for (const p of old) {
        expect(asksReach(p), JSON.stringify(range(p))).to.equal(false);
        expect(fieldsOf(p).filter((f) => f === 'frequency' || f === 'cpp')).to.deep.equal([]);
        expect(range(p).until < cutoff, 'no job straddles the cutoff').to.equal(true);
      }
      for (const p of recent) expect(asksReach(p), JSON.stringify(range(p))).to.equal(true);
      expect(first.logs().some((l) => /reach, frequency, cpp not asked for .* older than 13 months/.test(String(l['msg'])))).to.equal(true);
      const rows = first.records('insights_account_gender');
      expect(rows.filter((r) => typeof r['reach'] === 'number' && (r['reach'] as number) > 0).length, 'recent rows carry reach').to.be.greaterThan(0);
      expect(rows.filter((r) => String(r['date_start']) < cutoff && r['reach'] !== null && r['reach'] !== undefined)).to.deep.equal([]);
    });

    it("the next run re-reads only the lookback and never goes back for the old days' reach", async () => {
      const mark = rec.calls.length;
      const r = await runTap({ now: sb.now(), config, catalog, state: first.lastState(), args: ['--account', acct.accountId], dir: tmp.dir });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      const posts = postsSince(mark);
      expect(posts.length).to.be.greaterThan(0);
      const today = dayInZone(sb.now(), acct.timezone);
      for (const p of posts) {
        expect(range(p).since >= addDays(today, -3), JSON.stringify(range(p))).to.equal(true);
        expect(asksReach(p)).to.equal(true);
      }
    });
  });
});
