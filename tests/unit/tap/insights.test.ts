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
    // Read on the 10th: the 10th was in progress, the 9th and 8th (younger than the lookback) still restating.
    const inProgress = { date_start: '2026-11-10', last_complete_day: '2026-11-09', ...bookmarkParams(c, report) };
    expect(planRange(c, { timezone: 'UTC' }, report, inProgress, now)!.since).to.equal('2026-11-08');
    // Read up to an end_date, the 10th, once it was over: the day after it (the lookback is older).
    const complete = { ...inProgress, last_complete_day: '2026-11-10' };
    expect(planRange(c, { timezone: 'UTC' }, report, complete, now)!.since).to.equal('2026-11-11');
    const older = { date_start: '2026-11-10', ...bookmarkParams(c, report) };
    expect(planRange(c, { timezone: 'UTC' }, report, older, now)!.since).to.equal('2026-11-08');
    // A run the day after the previous one: one window from today − lookback.
    expect(planRange(c, { timezone: 'UTC' }, report, { ...inProgress, date_start: '2026-11-19', last_complete_day: '2026-11-18' }, now)!.since).to.equal('2026-11-17');
  });

  it('re-reads the days the previous run read while they still restated, however long ago it ran (a weekly run)', () => {
    const c = cfg({ start_date: '2026-01-01', insights_lookback_days: 28 });
    // The previous run read on the 13th: 10-16 was 28 days old then (settled), every later day younger.
    const weekAgo = { date_start: '2026-11-13', last_complete_day: '2026-11-12', ...bookmarkParams(c, report) };
    expect(planRange(c, { timezone: 'UTC' }, report, weekAgo, now)!.since).to.equal('2026-10-17');
    // A read that stopped at a past end_date says nothing of when it ran: the window from today bounds it, and ends.
    const ended = cfg({ start_date: '2026-01-01', end_date: '2026-10-31', insights_lookback_days: 28 });
    const atEnd = { date_start: '2026-10-31', last_complete_day: '2026-10-31', ...bookmarkParams(ended, report) };
    expect(planRange(ended, { timezone: 'UTC' }, report, atEnd, now)!.since).to.equal('2026-10-23');
    expect(planRange(ended, { timezone: 'UTC' }, report, atEnd, new Date('2026-12-20T03:00:00Z'))).to.equal(undefined);
    // No lookback: only the in-progress day is read again.
    const none = cfg({ start_date: '2026-01-01', insights_lookback_days: 0 });
    expect(planRange(none, { timezone: 'UTC' }, report, { ...weekAgo, ...bookmarkParams(none, report) }, now)!.since).to.equal('2026-11-13');
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

  describe('the first day a bookmark covers (first_day) and a start_date moved back before it', () => {
    const c = (start_date: string, extra: Record<string, unknown> = {}) => cfg({ start_date, insights_lookback_days: 3, ...extra });
    const bookmark = (extra: Record<string, unknown> = {}) => ({ date_start: '2026-11-19', last_complete_day: '2026-11-18', ...bookmarkParams(c('2026-11-01'), report), ...extra });

    it('starts a new bookmark, or one reset by other parameters, at the first day it reads', () => {
      expect(planRange(c('2026-11-01'), { timezone: 'UTC' }, report, undefined, now)!.firstDay).to.equal('2026-11-01');
      const reset = planRange(c('2026-11-05', { action_attribution_windows: ['1d_click'] }), { timezone: 'UTC' }, report, bookmark({ first_day: '2026-11-01' }), now)!;
      expect([reset.since, reset.firstDay, reset.backfill]).to.deep.equal(['2026-11-05', '2026-11-05', undefined]);
    });

    it('keeps the recorded first day while start_date stays or moves forward: only the lookback is read', () => {
      for (const start of ['2026-11-01', '2026-11-10']) {
        const plan = planRange(c(start), { timezone: 'UTC' }, report, bookmark({ first_day: '2026-11-01' }), now)!;
        expect([plan.since, plan.firstDay, plan.backfill], start).to.deep.equal(['2026-11-17', '2026-11-01', undefined]);
      }
    });

    it('reads the days an earlier start_date adds before the first day in the same run, then the lookback as before, and moves the first day back', () => {
      const plan = planRange(c('2026-10-01'), { timezone: 'UTC' }, report, bookmark({ first_day: '2026-11-01' }), now)!;
      expect(plan.backfill).to.deep.equal({ since: '2026-10-01', until: '2026-10-31', resumeFrom: '2026-11-17' });
      expect([plan.since, plan.until, plan.firstDay]).to.deep.equal(['2026-10-01', '2026-11-20', '2026-10-01']);
    });

    it('backfills no further than the 37-month retention, and not at all once the first day is beyond it', () => {
      const plan = planRange(c('2020-01-01'), { timezone: 'UTC' }, report, bookmark({ first_day: '2024-01-01' }), now)!;
      expect(plan.backfill).to.deep.equal({ since: '2023-10-21', until: '2023-12-31', resumeFrom: '2026-11-17' });
      expect(plan.clampedToRetention).to.equal(true);
      expect(planRange(c('2020-01-01'), { timezone: 'UTC' }, report, bookmark({ first_day: '2023-10-20' }), now)!.backfill).to.equal(undefined);
    });

    it('treats a bookmark written before first_day existed as unknown: nothing backfilled or guessed, unless its window reaches start_date', () => {
      const plan = planRange(c('2026-10-01'), { timezone: 'UTC' }, report, bookmark(), now)!;
      expect([plan.since, plan.firstDay, plan.backfill]).to.deep.equal(['2026-11-17', undefined, undefined]);
      expect(planRange(c('2026-11-18'), { timezone: 'UTC' }, report, bookmark(), now)!.firstDay).to.equal('2026-11-18');
    });

    it('leaves a --days run to its last days, whatever start_date says', () => {
      const plan = planRange({ ...c('2026-10-01'), last_days: 2 }, { timezone: 'UTC' }, report, bookmark({ first_day: '2026-11-01' }), now)!;
      expect([plan.since, plan.firstDay, plan.backfill]).to.deep.equal(['2026-11-19', '2026-11-01', undefined]);
      expect(planRange({ ...c('2026-10-01'), last_days: 2 }, { timezone: 'UTC' }, report, bookmark(), now)!.firstDay).to.equal(undefined);
    });
  });

  it('honours end_date and --days', () => {
    expect(planRange(cfg({ start_date: '2026-11-01', end_date: '2026-11-05' }), { timezone: 'UTC' }, report, undefined, now)!.until).to.equal('2026-11-05');
    const days = { ...cfg(), last_days: 3 };
    expect(planRange(days, { timezone: 'UTC' }, report, undefined, now)!.since).to.equal('2026-11-18');
  });
});
