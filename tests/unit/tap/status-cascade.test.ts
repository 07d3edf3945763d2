import { expect } from 'chai';
import { childReads, CASCADE_IDS_PER_CALL, StatusWatch, waitsForChildren } from '../../../connector/tap/status-cascade.js';
import { chunksAtReachCutoff } from '../../../connector/tap/breakdown-rules.js';

describe('status cascade: which parents changed status since the last run', () => {
  const since = { updated_time: '2026-11-01T00:00:00+0000' };
  const seen = (w: StatusWatch, rows: Array<[string, string]>): string[] => {
    for (const [id, status] of rows) w.observe({ id, status });
    return [...w.changed].sort();
  };

  it('counts a pause, a resume, an archive and a deletion as changes, an edit of an unchanged status as none', () => {
    const w = new StatusWatch('campaigns', { ...since, paused_ids: ['2', '5'] });
    expect(
      seen(w, [
        ['1', 'PAUSED'],
        ['2', 'ACTIVE'],
        ['3', 'ARCHIVED'],
        ['4', 'DELETED'],
        ['5', 'PAUSED'],
        ['6', 'ACTIVE'],
      ]),
    ).to.deep.equal(['1', '2', '3', '4']);
    expect(w.bookmarkFields()).to.deep.equal({ paused_ids: ['1', '5'] });
  });

  it('remembers paused parents on a first (full) read without cascading anything', () => {
    const w = new StatusWatch('ad_sets', undefined);
    expect(
      seen(w, [
        ['1', 'PAUSED'],
        ['2', 'ARCHIVED'],
        ['3', 'ACTIVE'],
      ]),
    ).to.deep.equal([]);
    expect(w.bookmarkFields()).to.deep.equal({ paused_ids: ['1'] });
  });

  it('reads state from before paused_ids existed as "nothing was paused": a paused parent re-reads its children once', () => {
    const w = new StatusWatch('campaigns', since);
    expect(
      seen(w, [
        ['1', 'PAUSED'],
        ['2', 'ACTIVE'],
      ]),
    ).to.deep.equal(['1']);
  });

  it('asks each child edge for the changed parents in chunks, campaigns for ad sets and ads, ad sets for ads', () => {
    const c = new StatusWatch('campaigns', since);
    const ids = Array.from({ length: CASCADE_IDS_PER_CALL + 1 }, (_, i) => String(1000 + i));
    seen(
      c,
      ids.map((id) => [id, 'PAUSED']),
    );
    const s = new StatusWatch('ad_sets', since);
    seen(s, [['9', 'ARCHIVED']]);
    expect(childReads('ad_sets', [c, s]).map((r) => [r.filterField, r.ids.length])).to.deep.equal([
      ['campaign.id', CASCADE_IDS_PER_CALL],
      ['campaign.id', 1],
    ]);
    expect(childReads('ads', [c, s]).map((r) => [r.filterField, r.ids.length])).to.deep.equal([
      ['campaign.id', CASCADE_IDS_PER_CALL],
      ['campaign.id', 1],
      ['adset.id', 1],
    ]);
    expect(waitsForChildren(c, ['ads', 'ad_creatives'])).to.equal(true);
    expect(waitsForChildren(c, ['ad_creatives'])).to.equal(false);
    expect(waitsForChildren(new StatusWatch('campaigns', since), ['ad_sets'])).to.equal(false);
  });
});

describe('breakdown rules: jobs never straddle the 13-month reach cutoff', () => {
  it('splits a range at the cutoff and leaves reports without breakdowns alone', () => {
    expect(chunksAtReachCutoff(['age'], '2025-10-15', '2025-10-25', '2026-11-20', 31)).to.deep.equal([
      { since: '2025-10-15', until: '2025-10-19' },
      { since: '2025-10-20', until: '2025-10-25' },
    ]);
    expect(chunksAtReachCutoff([], '2025-10-15', '2025-10-25', '2026-11-20', 31)).to.deep.equal([{ since: '2025-10-15', until: '2025-10-25' }]);
  });
});
