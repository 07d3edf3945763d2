import { expect } from 'chai';
import { sourceTables } from '../../../connector/dbt/raw-schema.js';
import { ENTITY_STREAMS } from '../../../connector/tap/streams.js';
import { INSIGHTS_REPORTS } from '../../../connector/tap/insights.js';

describe('the raw tables the bundled dbt project reads (its sources file)', () => {
  it('are tables the tap writes: each entity stream, its history, and each built-in insights report', () => {
    const tables = sourceTables({});
    for (const s of ENTITY_STREAMS) expect(tables, s.name).to.include(s.name);
    for (const r of INSIGHTS_REPORTS) expect(tables, r.name).to.include(r.name);
    expect(tables).to.include.members(['campaigns__history', 'ad_sets__history', 'ads__history', 'sync_log', 'insights_coverage']);
  });

  it('leave the history tables out when the var facebook_ads__using_history switches them off (a target with history: false)', () => {
    expect(sourceTables({ facebook_ads__using_history: false })).to.deep.equal(sourceTables({}).filter((t) => !t.endsWith('__history')));
    expect(sourceTables({ facebook_ads__using_history: true })).to.deep.equal(sourceTables({}));
  });
});
