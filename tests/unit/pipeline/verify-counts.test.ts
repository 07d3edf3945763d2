// The sync's end-of-run count check: records the target dropped as stale (documented ACTIVATE_VERSION
// rule) are accounted for; anything else missing fails the run naming stream and account.
import { expect } from 'chai';
import { CountCheck } from '../../../connector/pipeline/verify-counts.js';

const metric = (stream: string, account: string, value: number, status?: string): Record<string, unknown> => ({
  type: 'metric',
  metric_type: 'counter',
  metric: 'record_count',
  value,
  tags: { stream, account_id: account, ...(status ? { status } : {}) },
});

describe('CountCheck', () => {
  it('counts records dropped as stale as accounted for, not lost', () => {
    const c = new CountCheck();
    c.observe('tap', metric('ad_accounts', '1', 5));
    c.observe('target', metric('ad_accounts', '1', 3, 'committed'));
    c.observe('target', metric('ad_accounts', '1', 2, 'stale'));
    expect(c.failures({ ad_accounts: 5 })).to.deep.equal([]);
  });

  it('still fails naming stream and account when records are neither committed nor dropped as stale', () => {
    const c = new CountCheck();
    c.observe('tap', metric('ad_accounts', '1', 5));
    c.observe('target', metric('ad_accounts', '1', 3, 'committed'));
    c.observe('target', metric('ad_accounts', '1', 1, 'queued'));
    const f = c.failures({ ad_accounts: 5 });
    expect(f.map((x) => x.message)).to.deep.equal(['stream "ad_accounts", account 1: the tap wrote 5 records but the target committed 3 (the pipe carried 5 for the whole stream)']);
  });
});
