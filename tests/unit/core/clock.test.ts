import { expect } from 'chai';
import { clockStartingAt, NOW_ENV, nowEnv, parseNow, runClock, systemClock } from '../../../connector/core/clock.js';
import { ConfigError } from '../../../connector/core/errors.js';

describe('the run clock (core/clock.ts)', () => {
  it('is the system clock when FB_ADS_ELT_NOW is unset or blank', () => {
    expect(runClock({})).to.equal(systemClock);
    expect(runClock({ [NOW_ENV]: '  ' })).to.equal(systemClock);
  });

  it('starts at the pinned instant and moves on with real elapsed time, never backwards', async () => {
    const clock = runClock({ [NOW_ENV]: '2027-12-31T23:30:00Z' });
    const a = clock().getTime();
    expect(a - Date.parse('2027-12-31T23:30:00Z')).to.be.within(0, 1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(clock().getTime()).to.be.at.least(a + 15);
  });

  it('reads offsets as instants (a day boundary in another zone is the same UTC instant)', () => {
    expect(parseNow('2026-03-29T01:30:00+01:00').toISOString()).to.equal('2026-03-29T00:30:00.000Z');
    expect(parseNow('2026-11-01T01:30:00.123456-07:00').toISOString()).to.equal('2026-11-01T08:30:00.123Z');
  });

  for (const bad of ['2026-11-20', '2026-11-20T12:00:00', 'yesterday', '2026-02-30T00:00:00Z', '1700000000']) {
    it(`refuses ${JSON.stringify(bad)} with a config error naming the variable and the format`, () => {
      expect(() => parseNow(bad)).to.throw(ConfigError, /FB_ADS_ELT_NOW.*RFC 3339/);
      try {
        parseNow(bad);
      } catch (e) {
        expect((e as ConfigError).hint).to.include('2026-11-20T12:00:00Z');
        expect((e as ConfigError).exitCode).to.equal(2);
      }
    });
  }

  it('hands a child the instant as FB_ADS_ELT_NOW in UTC', () => {
    expect(nowEnv(new Date('2026-06-30T22:00:00-02:00'))).to.deep.equal({ [NOW_ENV]: '2026-07-01T00:00:00.000Z' });
    expect(clockStartingAt(new Date(0))().getTime()).to.be.lessThan(1000);
  });
});
