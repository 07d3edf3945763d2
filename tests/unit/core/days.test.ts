import { expect } from 'chai';
import { loadSchema } from '../../../connector/core/config.js';
import { MAX_DAYS, parseDays } from '../../../connector/core/days.js';

describe('--days: one bound and one parser', () => {
  it('accepts whole numbers from 1 to the retention bound and names the flag otherwise', () => {
    expect([parseDays(undefined), parseDays('1'), parseDays('7'), parseDays(String(MAX_DAYS))]).to.deep.equal([undefined, 1, 7, MAX_DAYS]);
    for (const bad of ['0', '-3', '2.5', 'week', '', String(MAX_DAYS + 1)]) {
      expect(() => parseDays(bad), bad).to.throw(`--days "${bad}" must be a whole number of days between 1 and ${MAX_DAYS}`);
    }
  });

  it('is the bound serve-config.json gives max_days', () => {
    const maxDays = (loadSchema('schemas/serve-config.json')['properties'] as Record<string, Record<string, unknown>>)['max_days']!;
    expect([maxDays['maximum'], maxDays['default']]).to.deep.equal([MAX_DAYS, MAX_DAYS]);
  });
});
