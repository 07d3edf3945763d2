// core/dates.ts does its own calendar arithmetic (no luxon on the tap's path, issue 20): luxon, which
// the sandbox still uses, is the oracle here, over every day of several years, every zone ICU knows
// and the date-time forms Graph and RFC 3339 write.
import { expect } from 'chai';
import { DateTime } from 'luxon';
import { addDays, addMonths, dayInZone, daysBetween, graphTimeToRfc3339, isIsoDay, parseInstant, unixSeconds } from '../../../connector/core/dates.js';
import { ConfigError } from '../../../connector/core/errors.js';

const luxonDay = (day: string): DateTime => DateTime.fromISO(day, { zone: 'utc' });

function* days(since: string, until: string): Generator<string> {
  for (let d = luxonDay(since); d.toISODate()! <= until; d = d.plus({ days: 1 })) yield d.toISODate()!;
}

describe('calendar days and Graph date-times (core/dates.ts)', () => {
  it('adds days and months and counts days as luxon does, month ends and leap days included', () => {
    let checked = 0;
    for (const day of days('2023-01-01', '2029-12-31')) {
      for (const n of [-400, -29, -1, 0, 1, 28, 366]) expect(addDays(day, n), `${day} + ${n} days`).to.equal(luxonDay(day).plus({ days: n }).toISODate());
      for (const n of [-37, -13, -1, 1, 12, 37]) expect(addMonths(day, n), `${day} + ${n} months`).to.equal(luxonDay(day).plus({ months: n }).toISODate());
      expect(daysBetween('2026-02-28', day)).to.equal(Math.round(luxonDay(day).diff(luxonDay('2026-02-28'), 'days').days) + 1);
      checked++;
    }
    expect(checked).to.equal(2557);
    expect(addMonths('2026-03-31', -1)).to.equal('2026-02-28');
    expect(addMonths('2024-02-29', 12)).to.equal('2025-02-28');
  });

  it('rejects what is not a calendar day that exists', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-1-01', '2026-01-01T00:00:00Z', '']) {
      expect(isIsoDay(bad), bad).to.equal(false);
      expect(() => addDays(bad, 1), bad).to.throw(ConfigError);
    }
    expect(isIsoDay('2024-02-29')).to.equal(true);
  });

  it("gives the day of an instant in every zone ICU knows, as luxon does, across DST changes and midnights, and leaves the process's TZ as it was", () => {
    const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC', 'utc', 'GMT', 'Etc/UTC', 'Asia/Kolkata', 'Europe/Kyiv', 'US/Pacific', 'america/los_angeles'];
    const instants = ['2026-03-08T09:59:00Z', '2026-03-08T10:01:00Z', '2026-03-29T00:30:00Z', '2026-10-25T00:30:00Z', '2026-11-01T08:58:00Z', '2026-12-31T23:30:00Z', '2027-01-01T10:30:00Z', '2026-06-30T12:00:00Z'].map((s) => new Date(s));
    const before = process.env['TZ'];
    for (const zone of zones) for (const at of instants) expect(dayInZone(at, zone), `${at.toISOString()} in ${zone}`).to.equal(DateTime.fromJSDate(at, { zone }).toISODate());
    expect(process.env['TZ']).to.equal(before);
    expect(zones.length).to.be.above(400);
  });

  it('restores TZ when the process had one set', () => {
    const before = process.env['TZ'];
    try {
      process.env['TZ'] = 'Asia/Tokyo';
      expect(dayInZone(new Date('2026-03-01T06:30:00Z'), 'America/Los_Angeles')).to.equal('2026-02-28');
      expect(process.env['TZ']).to.equal('Asia/Tokyo');
      expect(new Date('2026-03-01T20:00:00Z').getDate()).to.equal(2); // Tokyo's local day, so the zone is live again
    } finally {
      if (before === undefined) delete process.env['TZ'];
      else process.env['TZ'] = before;
    }
  });

  it('builds no Intl.DateTimeFormat for a canonical zone (the first one maps ~6 MB of ICU data into the tap)', () => {
    const real = Intl.DateTimeFormat;
    let built = 0;
    const counting = function (this: unknown, ...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      built++;
      return new real(...args);
    } as unknown as typeof Intl.DateTimeFormat;
    Intl.DateTimeFormat = counting;
    try {
      dayInZone(new Date(), 'America/Los_Angeles');
      dayInZone(new Date(), 'UTC');
      addMonths(addDays('2026-11-30', -3), -37);
      graphTimeToRfc3339('2026-11-20T10:00:00+0000');
      expect(built).to.equal(0);
      expect(dayInZone(new Date('2026-03-01T06:30:00Z'), 'Asia/Kolkata')).to.equal('2026-03-01'); // an alias takes Intl
      expect(built).to.equal(1);
    } finally {
      Intl.DateTimeFormat = real;
    }
  });

  it('names an unknown zone as a config error', () => {
    expect(() => dayInZone(new Date(), 'Mars/Base')).to.throw(ConfigError, 'Unknown time zone "Mars/Base"');
  });

  it('reads Graph and RFC 3339 date-times to the same instant as luxon, and refuses moments that do not exist', () => {
    const valid = [
      '2024-06-01T10:00:00+0000',
      '2024-06-01T10:00:00+00:00',
      '2024-06-01T10:00:00Z',
      '2024-06-01t10:00:00z',
      '2024-06-01T10:00:00.123Z',
      '2024-06-01T10:00:00.5+0530',
      '2024-06-01T10:00:00.123456789-0330',
      '2024-06-01T10:00:00-0700',
      '2024-06-01T10:00:00+02',
      '2024-06-01T23:59:59+1400',
      '2024-06-01T24:00:00+0000',
      '2024-02-29T00:00:00-12:00',
      '1969-12-31T23:59:59.999Z',
      '2024-06-01T10:00+0100',
      '2024-06-01T10+0100',
    ];
    for (const v of valid) {
      const oracle = DateTime.fromISO(v, { setZone: true });
      expect(oracle.isValid, `luxon reads ${v}`).to.equal(true);
      expect(parseInstant(v), v).to.equal(oracle.toMillis());
      expect(graphTimeToRfc3339(v), v).to.equal(oracle.toUTC().toISO({ suppressMilliseconds: true }));
      expect(unixSeconds(v), v).to.equal(Math.floor(oracle.toSeconds()));
    }
    // Without an offset: UTC (luxon read the machine's zone, which a run must never depend on).
    for (const v of ['2024-06-01T10:00:00', '2024-06-01', '2024-06-01T10:00']) expect(parseInstant(v), v).to.equal(DateTime.fromISO(v, { zone: 'utc' }).toMillis());
    for (const bad of ['2024-06-31T10:00:00+0000', '2024-06-01T24:30:00Z', '2024-06-01T25:00:00Z', '2024-06-01T10:60:00Z', '2024-06-01T10:00:60+0000', '2024-06-01 10:00:00+0000', 'not a date', '']) {
      expect(DateTime.fromISO(bad, { setZone: true }).isValid, `luxon refuses ${bad}`).to.equal(false);
      expect(parseInstant(bad), bad).to.equal(undefined);
      expect(graphTimeToRfc3339(bad), bad).to.equal(bad);
      expect(unixSeconds(bad), bad).to.be.NaN;
    }
  });
});
