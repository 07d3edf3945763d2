// BigQuery failures map to the documented exit codes and never release a STATE past an
// uncommitted batch: a rejected MERGE is a data error (6), an unreachable endpoint is retry-later (7).
import { expect } from 'chai';
import { openWarehouse, runLoader, fixture, type Warehouse } from './harness.js';
import { EXIT_CODES } from '../../../connector/core/errors.js';

describe('target-bigquery BigQuery failures', function () {
  this.timeout(60000);
  let w: Warehouse;
  beforeEach(async () => {
    // No client retries: the unreachable-endpoint case would otherwise back off for seconds.
    w = await openWarehouse('bigquery', { bigQueryRetries: 0 });
  });
  afterEach(async () => w.close());

  it('stops with exit code 6 when BigQuery rejects a MERGE, keeping only the STATE before that batch', async () => {
    w.emulator!.failNextQuery(/MERGE INTO `test-proj`\.`facebook_ads`\.`campaigns` /, 'Query error: UPDATE/MERGE must match at most one source row', 'invalidQuery');
    const first = await runLoader(w, fixture('duplicate_keys_in_batch'), { batch_rows: 1 });
    expect(first.error?.exitCode).to.equal(EXIT_CODES.data);
    expect(first.error?.message).to.match(/merging into campaigns \(stream "campaigns"\) failed: Query error/);
    expect(first.states).to.deep.equal([]);
    expect(await w.rows('campaigns')).to.deep.equal([]);
  });

  it('stops with exit code 7 (retry later) when the BigQuery endpoint cannot be reached', async () => {
    const ok = await runLoader(w, fixture('activate_version'), { batch_rows: 1 });
    expect(ok.error).to.equal(undefined);
    await w.emulator!.stop();
    const r = await runLoader(w, fixture('duplicate_keys_in_batch'));
    expect(r.error?.exitCode, r.error?.message).to.equal(EXIT_CODES.retryLater);
    expect(r.states).to.deep.equal([]);
  });
});
