// BigQuery failures map to the documented exit codes and never release a STATE past an
// uncommitted batch: a rejected MERGE is a data error (6), an unreachable endpoint is retry-later (7).
import { expect } from 'chai';
import { openWarehouse, runLoader, fixture, type Warehouse } from './harness.js';
import { BigQuery } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { ConnectorError, EXIT_CODES } from '../../../connector/core/errors.js';
import { BigQueryDestination } from '../../../connector/target/bigquery/destination.js';

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

describe('target-bigquery BigQuery network failures', function () {
  this.timeout(30000);
  it('stops with exit code 7 and a hint when the BigQuery host name does not resolve (DNS down, no network), not as a bug (1)', async () => {
    // `.invalid` never resolves (RFC 6761): the same getaddrinfo ENOTFOUND a machine without network
    // or DNS gets for bigquery.googleapis.com. No credentials are looked for (PassThroughClient).
    const client = new BigQuery({ projectId: 'test-proj', apiEndpoint: 'http://bigquery.invalid', authClient: new PassThroughClient(), autoRetry: false });
    const err = await new BigQueryDestination({ client, projectId: 'test-proj', dataset: 'facebook_ads', location: 'US' }).open().then(
      () => expect.fail('opened a dataset on a host that does not exist'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConnectorError);
    const e = err as ConnectorError;
    expect(e.message).to.match(/^creating dataset facebook_ads failed: .*ENOTFOUND bigquery\.invalid/);
    expect(e.exitCode).to.equal(EXIT_CODES.retryLater);
    expect(e.hint).to.match(/could not be reached/);
  });
});
