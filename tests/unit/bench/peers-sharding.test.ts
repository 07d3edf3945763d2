import { expect } from 'chai';
import { parseArgs } from '../../../bench/run.js';
import { recordOf, spendByAccountDay, spendDiff } from '../../../bench/scenarios/peers.js';
import { ASSUMPTIONS, META_BUDGETS, planShards } from '../../../bench/scenarios/sharding.js';
import { median } from '../../../bench/scenarios/startup.js';

describe('bench: peers side by side and sharding on paper', () => {
  it('reads records of Singer and Airbyte lines alike, and only of the asked stream', () => {
    const singer = { type: 'RECORD', stream: 'ads_insights', record: { ad_id: '7', account_id: '1', date_start: '2026-11-01', spend: '1.10' } };
    const airbyte = { type: 'RECORD', record: { stream: 'ads_insights', data: { ad_id: '8', account_id: 'act_1', date_start: '2026-11-01T00:00:00', spend: 2.2 } } };
    expect(recordOf(singer, 'ads_insights')).to.include({ spend: '1.10' });
    expect(recordOf(airbyte, 'ads_insights')).to.include({ spend: 2.2 });
    expect(recordOf(singer, 'ads')).to.equal(undefined);
    expect(recordOf({ type: 'STATE', value: {} }, 'ads_insights')).to.equal(undefined);
    expect([...spendByAccountDay([singer, airbyte], 'ads_insights')]).to.deep.equal([['1|2026-11-01', 330]]);
    // The same ad and day read twice (MeltanoLabs' overlapping windows) counts once, the last read wins.
    const again = { ...singer, record: { ...singer.record, spend: '1.20' } };
    expect([...spendByAccountDay([singer, airbyte, again], 'ads_insights')]).to.deep.equal([['1|2026-11-01', 340]]);
  });

  it('says which account-days differ from the truth, and nothing when all match', () => {
    const truth = new Map([
      ['1|2026-11-01', 330],
      ['1|2026-11-02', 100],
    ]);
    expect(spendDiff(new Map(truth), truth)).to.equal('');
    expect(spendDiff(new Map([['1|2026-11-01', 330]]), truth)).to.equal('1 of 2 account-days differ: 1 missing (e.g. 1 on 2026-11-02: none vs 1.00)');
    expect(
      spendDiff(
        new Map([
          ['1|2026-11-01', 300],
          ['1|2026-11-02', 100],
          ['1|2026-11-03', 5],
        ]),
        truth,
      ),
    ).to.equal("2 of 2 account-days differ: 1 not in the world's window (e.g. 1 on 2026-11-03: 0.05 vs none); 1 with another amount (e.g. 1 on 2026-11-01: 3.00 vs 3.30)");
  });

  it("models wall time as waves of workers × max_concurrency accounts, each its calls' latency plus one report run", () => {
    const one = planShards(10, 60_000, 1);
    expect(one.calls).to.equal(ASSUMPTIONS.accounts * 10);
    const waves = Math.ceil(ASSUMPTIONS.accounts / ASSUMPTIONS.perWorker);
    expect(one.wallMs).to.equal(waves * (10 * ASSUMPTIONS.callLatencyMs + 60_000));
    expect(planShards(10, 60_000, 4).wallMs).to.equal(Math.ceil(waves / 4) * (10 * ASSUMPTIONS.callLatencyMs + 60_000));
    expect(one.accountScoreShare.development).to.equal(10 / META_BUDGETS.scorePer300s.development);
    expect(META_BUDGETS.adsManagementPerHour('development', 50)).to.equal(300 + 40 * 50);
  });

  it('takes --no-peers and medians of odd and even counts', () => {
    expect(parseArgs(['--no-peers']).peers).to.equal(false);
    expect(parseArgs([]).peers).to.equal(true);
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 2, 3])).to.equal(2.5);
  });
});
