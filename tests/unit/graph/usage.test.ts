import { expect } from 'chai';
import { UsagePacer, USAGE_DECAY_MS, parseUsageHeaders, regainSecondsFor } from '../../../connector/graph/usage.js';
import { GraphClient } from '../../../connector/graph/client.js';
import { startFakeGraph, tapConfig, memoryLogger, fakeTime, type FakeGraph } from './fake-graph.js';

const A = { label: 'agency', token: 'sbx_agency_5f3a9c0d1e2b' };

describe('usage headers', () => {
  it('reads app, ad-account, business-use-case and insights throttle headers', () => {
    const r = parseUsageHeaders(
      {
        'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":31}',
        'x-ad-account-usage': '{"acc_id_util_pct":9.67,"reset_time_duration":100,"ads_api_access_tier":"standard_access"}',
        'x-business-use-case-usage': '{"42":[{"type":"ads_insights","call_count":12,"total_cputime":80,"total_time":3,"estimated_time_to_regain_access":2}],"77":[{"type":"ads_management","call_count":5,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}',
        'x-fb-ads-insights-throttle': '{"app_id_util_pct":40.5,"acc_id_util_pct":50,"ads_api_access_tier":"development_access"}',
      },
      '42',
    );
    expect(r.appPct).to.equal(40.5);
    expect(r.accountPct.get('42')).to.equal(80);
    expect(r.accountPct.get('77')).to.equal(5);
    expect(r.regainSeconds.get('42')).to.equal(120);
    expect(r.regainSeconds.has('77')).to.equal(false);
    expect(r.resetSeconds).to.equal(100);
    expect(regainSecondsFor(r, '42')).to.equal(120);
    expect(regainSecondsFor(r, '999')).to.equal(120); // BUC keyed by another object (a business): largest wait applies
  });

  it('ignores garbled or missing headers instead of failing the call', () => {
    const r = parseUsageHeaders({ 'x-app-usage': '{not json', 'x-business-use-case-usage': '[1,2]' }, '1');
    expect(r.appPct).to.equal(undefined);
    expect(r.accountPct.size).to.equal(0);
  });
});

describe('usage pacer', () => {
  const pacer = (threshold = 75) => {
    let now = 0;
    const p = new UsagePacer({ threshold, clock: () => now, maxIntervalMs: 10_000 });
    return { p, tick: (ms: number) => (now += ms) };
  };

  it('does not slow anything down at or below the threshold and spaces calls more as usage rises', () => {
    const { p } = pacer(75);
    expect(p.intervalFor(undefined)).to.equal(0);
    expect(p.intervalFor(75)).to.equal(0);
    const i80 = p.intervalFor(80);
    const i90 = p.intervalFor(90);
    expect(i80).to.be.greaterThan(0);
    expect(i90).to.be.greaterThan(i80);
    expect(p.intervalFor(100)).to.equal(10_000);
    expect(p.intervalFor(140)).to.equal(10_000);
  });

  it('makes concurrent callers on a hot account queue behind each other, and leaves other accounts alone', () => {
    const { p } = pacer(75);
    p.observe(parseUsageHeaders({ 'x-ad-account-usage': '{"acc_id_util_pct":100}' }, '1'), '1');
    const waits = [1, 2, 3].map(() => p.reserve('1', 'agency').waitMs);
    // The reading answers a call just made, so even the first call after it is spaced from that one.
    expect(waits).to.deep.equal([10_000, 20_000, 30_000]);
    expect(p.reserve('2', 'agency').waitMs).to.equal(0);
  });

  it('blocks an account until the regain time Meta announced, even on a successful response', () => {
    const { p, tick } = pacer();
    p.observe(parseUsageHeaders({ 'x-business-use-case-usage': '{"5":[{"call_count":60,"estimated_time_to_regain_access":4}]}' }, '5'), '5');
    expect(p.reserve('5', 't').waitMs).to.equal(240_000);
    tick(240_000);
    expect(p.reserve('5', 't').waitMs).to.equal(0);
  });

  it('waits out reset_time_duration when the ad-account budget reads full', () => {
    const { p } = pacer();
    p.observe(parseUsageHeaders({ 'x-ad-account-usage': '{"acc_id_util_pct":100,"reset_time_duration":90}' }, '5'), '5');
    expect(p.reserve('5', 't').waitMs).to.equal(90_000);
  });

  it('slows every account when the app-wide usage is high', () => {
    const { p } = pacer(50);
    p.observe(parseUsageHeaders({ 'x-app-usage': '{"call_count":95,"total_time":1,"total_cputime":1}' }));
    p.reserve('1', 'a');
    expect(p.reserve('2', 'b').waitMs).to.be.greaterThan(0);
  });
});

describe('GraphClient pacing', () => {
  let fake: FakeGraph;
  afterEach(async () => fake?.close());

  it('slows down from the usage headers before the budget is spent, shared across concurrent workers', async () => {
    let pct = 95;
    fake = await startFakeGraph(() => ({ json: { ok: true }, headers: { 'x-ad-account-usage': JSON.stringify({ acc_id_util_pct: pct }) } }));
    const time = fakeTime();
    const c = new GraphClient({ config: tapConfig({ api_base_url: fake.baseUrl }), log: memoryLogger().log, clock: time.clock, sleep: time.sleep, pacerMaxIntervalMs: 8000 });
    await c.request('act_9/ads', { tokens: [A] });
    expect(time.sleeps).to.deep.equal([]);
    const t0 = time.now();
    await Promise.all([1, 2, 3, 4].map(() => c.request('act_9/ads', { tokens: [A] })));
    // Four workers on one hot account: each reserves the next slot, so together they spend at least
    // three spacing intervals instead of all firing at once (the 95% reading fades a little meanwhile,
    // USAGE_DECAY_MS, hence the 90% spacing as the lower bound).
    const interval = new UsagePacer({ threshold: 75, clock: () => 0, maxIntervalMs: 8000 }).intervalFor(90);
    expect(interval).to.be.greaterThan(0);
    expect(time.sleeps.length).to.be.at.least(3);
    expect(time.now() - t0).to.be.at.least(3 * interval);
    const before = time.sleeps.length;
    pct = 20;
    await c.request('act_9/ads', { tokens: [A] }); // still paced: the last reading said 95%
    await c.request('act_9/ads', { tokens: [A] });
    await c.request('act_9/ads', { tokens: [A] });
    expect(time.sleeps.length - before).to.be.at.most(1); // once the header drops below the threshold, no more waits
    expect(fake.seen).to.have.length(8);
  });

  it('never pauses when usage stays under usage_pause_threshold', async () => {
    fake = await startFakeGraph(() => ({ json: { ok: true }, headers: { 'x-app-usage': '{"call_count":60,"total_time":60,"total_cputime":60}' } }));
    const time = fakeTime();
    const c = new GraphClient({ config: tapConfig({ api_base_url: fake.baseUrl, usage_pause_threshold: 75 }), log: memoryLogger().log, clock: time.clock, sleep: time.sleep });
    for (let i = 0; i < 5; i++) await c.request('act_9/ads', { tokens: [A] });
    expect(time.sleeps).to.deep.equal([]);
  });
});

describe('usage pacer decay', () => {
  it('fades a reading that is not refreshed, so pacing stops when headers stop arriving', () => {
    let now = 0;
    const p = new UsagePacer({ threshold: 75, clock: () => now, maxIntervalMs: 10_000 });
    p.observe(parseUsageHeaders({ 'x-ad-account-usage': '{"acc_id_util_pct":100}' }, '1'), '1');
    expect(p.usage('1').account).to.equal(100);
    now += USAGE_DECAY_MS / 2;
    expect(p.usage('1').account).to.equal(50);
    expect(p.reserve('1', 't').waitMs).to.equal(0);
    expect(p.reserve('1', 't').waitMs).to.equal(0);
  });
});
