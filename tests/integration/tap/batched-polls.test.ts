// The status reads of an account's running report runs go out together through the Batch API
// (connector/graph/run-poller.ts, learned from Airbyte's update_in_batch): with several jobs waiting at
// once, a poll round is one HTTP request instead of one per job. Measured on the sandbox's counters
// (Graph calls per endpoint, batch requests) and on the HTTP requests the recording proxy saw.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { catalogSelecting, closeTapRig, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type RecordedCall, type Recorder } from './helpers.js';

const statusItems = (c: RecordedCall): string[] => (JSON.parse(c.params.get('batch') ?? '[]') as Array<{ relative_url: string }>).map((i) => i.relative_url).filter((u) => /^\d+\?/.test(u));

describe('tap-facebook-ads polls an account’s report runs in one Batch API call per round (child process, sandbox)', function () {
  this.timeout(120_000);
  const rig = {} as { sb: Sandbox; rec: Recorder; tmp: ReturnType<typeof tempDir> };
  before(async () => {
    // Runs take a second of wall time, so the six jobs of the account wait side by side.
    rig.sb = await startSandbox({ world: 'small', today: TEST_TODAY, jobDurationMs: 1000 });
    rig.rec = await recordingProxy(rig.sb.baseUrl);
    rig.tmp = tempDir();
  });
  after(() => closeTapRig(rig));

  it('reads the status of 6 concurrent jobs with batched polls: fewer HTTP requests than status reads, every run read to completion', async () => {
    const { sb, rec, tmp } = rig;
    const acct = sb.world.accounts[0]!.accountId;
    const config = tapConfig(sb, rec.baseUrl, { account_ids: [acct], start_date: '2026-11-09', insights_max_days_per_job: 2, max_concurrency: 6 });
    const r = await runTap({ now: sb.now(), config, catalog: catalogSelecting(['insights_account', 'sync_log']), dir: tmp.dir });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    const stats = sb.stats();
    const runs = stats.jobsCreated;
    expect(runs, 'one run per 2-day job of 2026-11-09..20').to.equal(6);
    // Status reads as Meta counts them (each batch item is a call), and the HTTP requests that carried them.
    const statusReads = stats.byEndpoint['GET /{id}'] ?? 0;
    const plainPolls = rec.calls.filter((c) => c.method === 'GET' && /^\/\d+$/.test(c.path)).length;
    const batches = rec.calls.filter((c) => c.method === 'POST' && (c.path === '/' || c.path === ''));
    const batchedPolls = batches.map((c) => statusItems(c).length);
    expect(plainPolls + batchedPolls.reduce((a, b) => a + b, 0), 'every status read went out plainly or in a batch').to.equal(statusReads);
    expect(statusReads, 'each run polled at least until it completed').to.be.at.least(runs);
    expect(Math.max(...batchedPolls), 'a round carries the status reads of the jobs waiting together').to.be.at.least(4);
    const httpPolls = plainPolls + batches.length;
    expect(httpPolls * 2, `HTTP requests for polls (${httpPolls}) at most half the status reads (${statusReads}); one GET each before`).to.be.at.most(statusReads);
    expect(r.records('insights_account').length).to.be.greaterThan(0);
    expect(r.records('sync_log').map((l) => l['status'])).to.deep.equal(['ok']);
  });

  it('rotates to the account’s other token when Meta refuses the token of a batch of polls (190 for the whole call), and reads the report in full', async () => {
    const { sb, rec, tmp } = rig;
    sb.resetStats();
    rec.calls.length = 0;
    // Brightside EU is reachable by two tokens: the batch of polls goes out with the first, which Meta refuses from then on.
    const acct = sb.world.accounts.find((a) => a.name === 'Brightside EU')!.accountId;
    const config = tapConfig(sb, rec.baseUrl, { account_ids: [acct], start_date: '2026-11-09', insights_max_days_per_job: 2, max_concurrency: 6 });
    const healthy = await runTap({ now: sb.now(), config, catalog: catalogSelecting(['insights_account', 'sync_log']), dir: tmp.dir });
    expect(healthy.code, healthy.stderr.slice(-1500)).to.equal(0);
    const first = rec.calls.find((c) => c.method === 'POST' && (c.path === '/' || c.path === ''))!.params.get('access_token');
    const dead = sb.tokens.find((t) => t.token === first)!.label;
    sb.resetStats();
    sb.faults.add({ kind: 'token_expired', token: dead, method: 'POST', path: '^$' });
    try {
      const r = await runTap({ now: sb.now(), config, catalog: catalogSelecting(['insights_account', 'sync_log']), dir: tmp.dir });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      const refused = sb.stats().rejected.filter((x) => x.code === 190);
      expect(refused.length).to.be.at.least(1);
      expect(
        refused.map((x) => [x.method, x.path]),
        'Meta refused the batch request itself, not its items one by one',
      ).to.deep.equal(refused.map(() => ['POST', '']));
      const warn = r.logs().find((l) => l['level'] === 'warn' && String(l['msg']).includes('was rejected by Meta and is not used again'));
      expect(warn?.['token_label']).to.equal(dead);
      const rows = (x: typeof r): string[] =>
        x
          .records('insights_account')
          .map((row) => String(row['date_start']))
          .sort();
      expect(rows(r)).to.deep.equal(rows(healthy));
      expect(r.records('sync_log').map((l) => l['status'])).to.deep.equal(['ok']);
    } finally {
      sb.faults.clear();
    }
  });
});
