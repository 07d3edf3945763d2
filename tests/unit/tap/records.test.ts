import { expect } from 'chai';
import { shapeRecord, shaperFor } from '../../../connector/tap/records.js';
import { loadStreamSchema } from '../../../connector/tap/schemas.js';

describe('tap record shaping', () => {
  const schema = loadStreamSchema('ad_sets');
  const selected = Object.keys(schema['properties'] as object);
  const shaper = shaperFor(schema, selected, ['daily_budget', 'lifetime_budget', 'budget_remaining', 'bid_amount']);
  const at = new Date('2026-11-20T12:00:00Z');

  it('converts Graph strings to schema types, times to RFC 3339 UTC and budgets to major units with the raw minor value', () => {
    const r = shapeRecord(
      { id: '120210000000000001', account_id: '1', daily_budget: '12345', bid_amount: 250, updated_time: '2026-11-19T15:02:47-0800', is_dynamic_creative: false, unknown_field: 'x' },
      shaper,
      { currency: 'USD', extractedAt: at, extra: { currency: 'USD' } },
    );
    expect(r).to.include({ id: '120210000000000001', daily_budget: '123.45', daily_budget_minor: '12345', bid_amount: '2.50', bid_amount_minor: '250', updated_time: '2026-11-19T23:02:47Z', currency: 'USD', _sdc_extracted_at: '2026-11-20T12:00:00.000Z' });
    expect(r['lifetime_budget']).to.equal(null);
    expect(r).to.not.have.property('unknown_field');
  });

  it('keeps JPY budgets whole', () => {
    expect(shapeRecord({ id: '1', account_id: '1', daily_budget: '5000' }, shaper, { currency: 'JPY', extractedAt: at })).to.include({ daily_budget: '5000', daily_budget_minor: '5000' });
  });

  it('coerces insights counts to integers and keeps ratios as decimal strings', () => {
    const s = loadStreamSchema('insights_ad');
    const r = shapeRecord({ ad_id: '9', impressions: '185', clicks: '9', ctr: '4.864865', spend: '14.35', date_start: '2026-11-01' }, shaperFor(s, Object.keys(s['properties'] as object)), { extractedAt: at });
    expect(r).to.include({ impressions: 185, clicks: 9, ctr: '4.864865', spend: '14.35', date_start: '2026-11-01' });
  });
});
