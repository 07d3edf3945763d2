import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { followAll, graphGet, graphPost, sleep } from './helpers.js';

describe('sandbox: async insights report runs', () => {
  let sb: Sandbox;
  let token: string;
  let acct: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 5, jobDurationMs: 150 });
    const t = sb.tokens.find((x) => x.label === 'agency')!;
    token = t.token;
    acct = sb.world.users.find((u) => u.id === t.userId)!.accountIds[0]!;
  });
  after(() => sb.close());
  afterEach(() => sb.faults.clear());

  const params = {
    level: 'ad',
    time_increment: '1',
    time_range: JSON.stringify({ since: '2026-11-01', until: '2026-11-07' }),
    fields: JSON.stringify(['ad_id', 'impressions', 'spend', 'actions']),
    action_attribution_windows: JSON.stringify(['1d_click', '7d_click']),
    filtering: JSON.stringify([{ field: 'ad.effective_status', operator: 'IN', value: ['ACTIVE', 'PAUSED', 'DELETED', 'ARCHIVED', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED'] }]),
  };

  async function poll(id: string, until: (s: string) => boolean, maxMs = 3000) {
    const seen: string[] = [];
    const t0 = Date.now();
    for (;;) {
      const r = await graphGet(sb.baseUrl, `/${id}`, token);
      expect(r.status, r.text).to.equal(200);
      seen.push(`${r.json.async_status}:${r.json.async_percent_completion}`);
      if (until(r.json.async_status)) return { last: r.json, seen };
      if (Date.now() - t0 > maxMs) return { last: r.json, seen };
      await sleep(20);
    }
  }

  it('runs the whole lifecycle: POST → report_run_id, polling to Job Completed at 100 %, then paged results', async () => {
    // Its own sandbox with a slower job, so the early states are observable even on a busy machine.
    const slow = await startSandbox({ world: 'small', seed: 5, jobDurationMs: 1500 });
    try {
      await lifecycle(slow);
    } finally {
      await slow.close();
    }
  });

  async function lifecycle(sb: Sandbox): Promise<void> {
    const poll = async (id: string, until: (s: string) => boolean, maxMs = 6000) => {
      const seen: string[] = [];
      const t0 = Date.now();
      for (;;) {
        const r = await graphGet(sb.baseUrl, `/${id}`, token);
        expect(r.status, r.text).to.equal(200);
        seen.push(`${r.json.async_status}:${r.json.async_percent_completion}`);
        if (until(r.json.async_status) || Date.now() - t0 > maxMs) return { last: r.json, seen };
        await sleep(50);
      }
    };
    const created = await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params);
    expect(created.status, created.text).to.equal(200);
    expect(created.json.report_run_id).to.match(/^\d{16}$/);
    const id = created.json.report_run_id;
    const early = await graphGet(sb.baseUrl, `/${id}/insights`, token);
    expect(early.status).to.equal(400);
    expect(early.json.error).to.include({ code: 2601, error_subcode: 1815107, is_transient: true });
    const { last, seen } = await poll(id, (s) => s === 'Job Completed');
    expect(last).to.include({ id, account_id: acct, async_status: 'Job Completed', async_percent_completion: 100, date_start: '2026-11-01', date_stop: '2026-11-07', is_running: false });
    expect(seen[0]).to.not.equal('Job Completed:100');
    expect(last.time_completed).to.be.a('number');
    const first = await graphGet(sb.baseUrl, `/${id}/insights`, token, { limit: '10' });
    const { rows, pages } = await followAll(first);
    expect(pages).to.be.greaterThan(1);
    const sync = await followAll(await graphGet(sb.baseUrl, `/act_${acct}/insights`, token, { ...params, limit: '100' }));
    expect(rows).to.deep.equal(sync.rows);
    expect(sb.stats().jobsCreated).to.be.greaterThan(0);
    const states = seen.map((x) => x.split(':')[0]);
    const order = ['Job Not Started', 'Job Started', 'Job Running', 'Job Completed'];
    for (let i = 1; i < states.length; i++) expect(order.indexOf(states[i]!)).to.be.at.least(order.indexOf(states[i - 1]!));
  }

  it('ends a run with Job Failed and the v25 error fields under the job_failed fault', async () => {
    sb.faults.add({ kind: 'job_failed', times: 1 });
    const id = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id;
    const { last } = await poll(id, (s) => s === 'Job Failed' || s === 'Job Completed');
    expect(last).to.include({ async_status: 'Job Failed', error_code: -2, error_subcode: 2490547, error_user_title: 'Report Failed' });
    const read = await graphGet(sb.baseUrl, `/${id}/insights`, token);
    expect(read.json.error.code).to.equal(2601);
    // the fault fired once: the next run completes
    const ok = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id;
    expect((await poll(ok, (s) => s === 'Job Completed')).last.async_status).to.equal('Job Completed');
  });

  it('fails a run with any documented async failure (DOCS insights/error-codes) named by code/subcode', async () => {
    for (const [code, subcode, title] of [
      [4, 1504022, 'Too Many API Requests'],
      [4, 1504039, 'Too Many API Requests'],
      [2, 1504041, 'Invalid Breakdowns'],
      [2, 1504042, 'Invalid Custom Metrics'],
      [2, 1504043, 'Intermittent Error'],
      [-2, 2490547, 'Report Failed'],
    ] as const) {
      sb.faults.add({ kind: 'job_failed', code, subcode, times: 1 });
      const id = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id;
      const { last } = await poll(id, (s) => s === 'Job Failed' || s === 'Job Completed');
      expect(last, `${code}/${subcode}`).to.include({ async_status: 'Job Failed', error_code: code, error_subcode: subcode, error_user_title: title });
      expect(last['error_user_msg']).to.be.a('string');
    }
    expect(() => sb.faults.add({ kind: 'job_failed', code: 2, subcode: 1 })).to.throw(/no documented async failure/);
  });

  it('keeps a stalled run at the configured percentage forever under job_stall', async () => {
    sb.faults.add({ kind: 'job_stall', percent: 42 });
    const id = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id;
    await sleep(300);
    const { last } = await poll(id, () => true);
    expect(last).to.include({ async_status: 'Job Running', async_percent_completion: 42, is_running: true });
  });

  it('reports Job Running at 100 % before completing under job_premature, and refuses early reads', async () => {
    sb.faults.add({ kind: 'job_premature', polls: 2 });
    const id = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id;
    await sleep(250);
    const a = await graphGet(sb.baseUrl, `/${id}`, token);
    expect(a.json).to.include({ async_status: 'Job Running', async_percent_completion: 100 });
    const early = await graphGet(sb.baseUrl, `/${id}/insights`, token);
    expect(early.json.error.error_subcode).to.equal(1815107);
    await graphGet(sb.baseUrl, `/${id}`, token);
    const c = await graphGet(sb.baseUrl, `/${id}`, token);
    expect(c.json.async_status).to.equal('Job Completed');
    expect((await graphGet(sb.baseUrl, `/${id}/insights`, token)).status).to.equal(200);
  });

  it('hides a report run from a token that cannot read its account', async () => {
    const id = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id;
    const other = sb.tokens.find((t) => !sb.world.users.find((u) => u.id === t.userId)!.accountIds.includes(acct))!;
    const r = await graphGet(sb.baseUrl, `/${id}`, other.token);
    expect(r.json.error).to.include({ code: 100, error_subcode: 33 });
  });

  it('polls many runs in one batch request, as Airbyte does', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, params)).json.report_run_id);
    const r = await graphPost(sb.baseUrl, '/', token, { batch: JSON.stringify(ids.map((id) => ({ method: 'GET', relative_url: `${id}/` }))) });
    expect(r.status).to.equal(200);
    expect(r.json).to.have.length(3);
    for (const [i, e] of r.json.entries()) {
      expect(e.code).to.equal(200);
      expect(JSON.parse(e.body).id).to.equal(ids[i]);
      expect(e.headers.map((h: { name: string }) => h.name)).to.include('x-business-use-case-usage');
    }
  });
});
