import { expect } from 'chai';
import { insightsKey, insightsRequestFields, reportSchema, reportsFor, INSIGHTS_REPORTS } from '../../../connector/tap/insights.js';
import { planRange, bookmarkParams } from '../../../connector/tap/read-insights.js';
import { validateTapConfig } from '../../../connector/tap/config.js';
import { ConfigError } from '../../../connector/core/errors.js';
import { addDays, addMonths, dayInZone } from '../../../connector/core/dates.js';

const cfg = (extra: Record<string, unknown> = {}) => validateTapConfig({ access_token: 'sbx_unit_0123456789', start_date: '2026-01-01', ...extra }).config;

describe('tap insights declarations', () => {
  it('derives keys as level id + date_start + breakdowns in one function', () => {
    expect(insightsKey('account', [])).to.deep.equal(['account_id', 'date_start']);
    expect(insightsKey('ad', ['age', 'gender'])).to.deep.equal(['ad_id', 'date_start', 'age', 'gender']);
  });

  it('offers one built-in daily report per level', () => {
    expect(INSIGHTS_REPORTS.map((r) => r.name)).to.deep.equal(['insights_account', 'insights_campaign', 'insights_adset', 'insights_ad']);
  });

  it('composes a custom report schema from the level schema and the breakdown fragment', () => {
    const [report] = reportsFor(cfg({ insights_reports: [{ name: 'insights_ad_country', level: 'ad', breakdowns: ['country'] }] })).filter((r) => !r.builtIn);
    const schema = reportSchema(report!);
    const props = schema['properties'] as Record<string, unknown>;
    expect(props).to.have.property('country');
    expect(props).to.have.property('ad_id');
    expect(schema['required']).to.include('country');
    expect(insightsRequestFields(report!, Object.keys(props))).to.not.include('country');
  });

  it('rejects an unknown breakdown and a report name that shadows a stream', () => {
    const [bad] = reportsFor(cfg({ insights_reports: [{ name: 'x_report', level: 'ad', breakdowns: ['shoe_size'] }] })).filter((r) => !r.builtIn);
    expect(() => reportSchema(bad!)).to.throw(ConfigError, /shoe_size/);
    expect(() => reportsFor(cfg({ insights_reports: [{ name: 'insights_ad', level: 'ad' }] }))).to.throw(ConfigError, /already used/);
  });
});

describe('tap insights range planning', () => {
  const report = INSIGHTS_REPORTS[3]!;
  const now = new Date('2026-11-20T03:00:00Z');

  it('computes today in the account time zone (Tokyo is already on the 20th, Los Angeles still on the 19th)', () => {
    const c = cfg({ start_date: '2026-11-10' });
    expect(planRange(c, { timezone: 'Asia/Tokyo' }, report, undefined, now)!.until).to.equal('2026-11-20');
    expect(planRange(c, { timezone: 'America/Los_Angeles' }, report, undefined, now)!.until).to.equal('2026-11-19');
  });

  it('re-reads the lookback window before the bookmark and never before start_date', () => {
    const c = cfg({ start_date: '2026-01-01', insights_lookback_days: 28 });
    const prev = { date_start: '2026-11-19', ...bookmarkParams(c, report) };
    const plan = planRange(c, { timezone: 'UTC' }, report, prev, now)!;
    expect(plan.since).to.equal('2026-10-23');
    expect(plan.resetReason).to.equal(undefined);
    const late = cfg({ start_date: '2026-11-15', insights_lookback_days: 28 });
    expect(planRange(late, { timezone: 'UTC' }, report, { date_start: '2026-11-19', ...bookmarkParams(late, report) }, now)!.since).to.equal('2026-11-15');
  });

  it("re-reads a bookmark's in-progress day whatever the gap; an older bookmark without last_complete_day re-reads its own day", () => {
    const c = cfg({ start_date: '2026-01-01', insights_lookback_days: 3 });
    const inProgress = { date_start: '2026-11-10', last_complete_day: '2026-11-09', ...bookmarkParams(c, report) };
    expect(planRange(c, { timezone: 'UTC' }, report, inProgress, now)!.since).to.equal('2026-11-10');
    const complete = { ...inProgress, last_complete_day: '2026-11-10' };
    expect(planRange(c, { timezone: 'UTC' }, report, complete, now)!.since).to.equal('2026-11-11');
    const older = { date_start: '2026-11-10', ...bookmarkParams(c, report) };
    expect(planRange(c, { timezone: 'UTC' }, report, older, now)!.since).to.equal('2026-11-10');
    // Within the lookback nothing changes: one window from today − lookback.
    expect(planRange(c, { timezone: 'UTC' }, report, { ...inProgress, date_start: '2026-11-19', last_complete_day: '2026-11-18' }, now)!.since).to.equal('2026-11-17');
  });

  it('ignores a bookmark written with other attribution windows and says why', () => {
    const c = cfg({ start_date: '2026-06-01', action_attribution_windows: ['1d_click'] });
    const prev = { date_start: '2026-11-19', attribution_windows: ['7d_click', '1d_view'], action_breakdowns: ['action_type'], time_increment: 1 };
    const plan = planRange(c, { timezone: 'UTC' }, report, prev, now)!;
    expect(plan.since).to.equal('2026-06-01');
    expect(plan.resetReason).to.match(/attribution_windows changed/);
  });

  it('clamps to the 37-month retention and flags it', () => {
    const c = cfg({ start_date: '2020-01-01' });
    const plan = planRange(c, { timezone: 'UTC' }, report, undefined, now)!;
    expect(plan.since).to.equal('2023-10-21');
    expect(plan.clampedToRetention).to.equal(true);
  });

  // estuary/connectors#3034 and airbytehq/airbyte PR #27483: a start date exactly 37 months back in one
  // time zone was refused with #3018 as "beyond 37 months" when the account's day and Meta's differed.
  it('keeps the retention start a day inside 37 months whichever side of UTC the account lives (estuary#3034, airbyte#27483)', () => {
    const instant = new Date('2026-11-20T10:30:00Z'); // Kiritimati is on the 21st, Pago Pago still on the 19th
    const utcBound = addMonths(dayInZone(instant, 'UTC'), -37);
    for (const timezone of ['Pacific/Kiritimati', 'Asia/Tokyo', 'UTC', 'America/Los_Angeles', 'Pacific/Pago_Pago']) {
      const plan = planRange(cfg({ start_date: '2000-01-01' }), { timezone }, report, undefined, instant)!;
      expect(plan.clampedToRetention, timezone).to.equal(true);
      expect(plan.since, timezone).to.equal(addDays(addMonths(dayInZone(instant, timezone), -37), 1));
      expect(plan.since >= utcBound, `${timezone}: ${plan.since} is not before the UTC bound ${utcBound}`).to.equal(true);
    }
  });

  it('honours end_date and --days', () => {
    expect(planRange(cfg({ start_date: '2026-11-01', end_date: '2026-11-05' }), { timezone: 'UTC' }, report, undefined, now)!.until).to.equal('2026-11-05');
    const days = { ...cfg(), last_days: 3 };
    expect(planRange(days, { timezone: 'UTC' }, report, undefined, now)!.since).to.equal('2026-11-18');
  });
});
