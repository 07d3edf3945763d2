import { expect } from 'chai';
import { notOneDay, shapeRecord, shaperFor } from '../../../connector/tap/records.js';
import { loadStreamSchema } from '../../../connector/tap/schemas.js';

describe('tap record shaping', () => {
  const schema = loadStreamSchema('ad_sets');
  const selected = Object.keys(schema['properties'] as object);
  const shaper = shaperFor(schema, selected, ['daily_budget', 'lifetime_budget', 'budget_remaining', 'bid_amount']);
  const at = new Date('2026-11-20T12:00:00Z');

  it('converts Graph strings to schema types, times to RFC 3339 UTC and budgets to major units with the raw minor value', () => {
    const r = shapeRecord({ id: '120210000000000001', account_id: '1', daily_budget: '12345', bid_amount: 250, updated_time: '2026-11-19T15:02:47-0800', is_dynamic_creative: false, unknown_field: 'x' }, shaper, { currency: 'USD', extractedAt: at, extra: { currency: 'USD' } });
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

  describe('insights rows as Meta answers them (issue 18 real-answer scenarios)', () => {
    const s = loadStreamSchema('insights_ad');
    const all = shaperFor(s, Object.keys(s['properties'] as object));
    // Meta's AdsInsights reference example: numbers as strings, actions with per-window keys.
    const metaRow = {
      account_id: '1234',
      ad_id: '120210000000000042',
      impressions: '2466',
      clicks: '41',
      spend: '87.51',
      cpm: '35.486618',
      ctr: '1.662612',
      actions: [
        { action_type: 'link_click', value: '37' },
        { action_type: 'offsite_conversion.fb_pixel_purchase', value: '3', '7d_click': '2', '1d_view': '1' },
      ],
      date_start: '2026-11-14',
      date_stop: '2026-11-14',
    };

    it('keeps spend and ratios as exact decimal strings and counts as integers', () => {
      expect(shapeRecord(metaRow, all, { extractedAt: at })).to.include({ impressions: 2466, clicks: 41, spend: '87.51', cpm: '35.486618', ctr: '1.662612' });
    });

    it('keeps action values as strings, and turns a JSON number into the same decimal string', () => {
      const r = shapeRecord({ ...metaRow, actions: [{ action_type: 'purchase', value: 3, '7d_click': 2.5, '1d_view': '1' }] }, all, { extractedAt: at });
      expect(r['actions']).to.deep.equal([{ action_type: 'purchase', value: '3', '7d_click': '2.5', '1d_view': '1' }]);
      expect(shapeRecord(metaRow, all, { extractedAt: at })['actions']).to.deep.equal(metaRow.actions);
    });

    it('lands a field Meta left out and one it sent as null the same way: null', () => {
      const a = shapeRecord(metaRow, all, { extractedAt: at }); // metaRow carries no reach
      const b = shapeRecord({ ...metaRow, reach: null, actions: null }, all, { extractedAt: at });
      expect(a['reach']).to.equal(null);
      expect(b['reach']).to.equal(null);
      expect(b['actions']).to.equal(null);
      expect(shapeRecord({ ...metaRow, spend: '' }, all, { extractedAt: at })['spend']).to.equal(null);
    });

    it('calls a row whose date_stop differs from date_start not one day', () => {
      expect(notOneDay(metaRow)).to.equal(undefined);
      expect(notOneDay({ ...metaRow, date_stop: '2026-11-16' })).to.equal('2026-11-14..2026-11-16');
      expect(notOneDay({ date_start: '2026-11-14' })).to.equal(undefined);
    });
  });
});
