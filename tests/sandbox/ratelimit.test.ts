import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { graphGet, http } from './helpers.js';

describe('sandbox: call budgets and usage headers', () => {
  let sb: Sandbox;
  let token: string;
  let acct: string;
  let clock = 0;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 9, rateLimits: { appBudget: 1000, accountBudget: 10, regainSeconds: 300, now: () => clock } });
    const t = sb.tokens.find((x) => x.label === 'agency')!;
    token = t.token;
    acct = sb.world.users.find((u) => u.id === t.userId)!.accountIds[0]!;
  });
  after(() => sb.close());

  it('raises X-Business-Use-Case-Usage / X-Ad-Account-Usage with each call and throttles once the budget is spent', async () => {
    const pcts: number[] = [];
    let res = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token);
    for (let i = 0; i < 10 && res.status === 200; i++) {
      const buc = JSON.parse(res.headers.get('x-business-use-case-usage')!);
      expect(Object.keys(buc)).to.deep.equal([acct]);
      expect(buc[acct][0]).to.include({ type: 'ads_management', estimated_time_to_regain_access: 0 });
      pcts.push(JSON.parse(res.headers.get('x-ad-account-usage')!).acc_id_util_pct);
      expect(JSON.parse(res.headers.get('x-app-usage')!)).to.have.keys('call_count', 'total_cputime', 'total_time');
      res = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token);
    }
    expect(pcts.length).to.equal(10);
    for (let i = 1; i < pcts.length; i++) expect(pcts[i]).to.be.greaterThan(pcts[i - 1]!);
    expect(pcts[pcts.length - 1]).to.equal(100);
    expect(res.status).to.equal(400);
    expect(res.json.error).to.include({ code: 80004 });
    const buc = JSON.parse(res.headers.get('x-business-use-case-usage')!);
    expect(buc[acct][0].call_count).to.equal(100);
    expect(buc[acct][0].estimated_time_to_regain_access).to.be.greaterThan(0);
    // insights calls against the same account answer 80000 / 2446079
    const ins = await graphGet(sb.baseUrl, `/act_${acct}/insights`, token);
    expect(ins.json.error).to.include({ code: 80000, error_subcode: 2446079 });
    expect(sb.stats().throttles).to.be.at.least(2);
    expect(sb.stats().throttlesByCode['80000']).to.equal(1);
  });

  it('regains budget as the controllable clock moves on', async () => {
    clock += 300_000;
    const r = await graphGet(sb.baseUrl, `/act_${acct}/insights`, token, { fields: 'impressions' });
    expect(r.status, r.text).to.equal(200);
    const t = JSON.parse(r.headers.get('x-fb-ads-insights-throttle')!);
    expect(t).to.have.keys('app_id_util_pct', 'acc_id_util_pct', 'ads_api_access_tier');
    expect(t.acc_id_util_pct).to.equal(10);
  });

  it('can be moved on over HTTP too (POST /__sandbox/advance?seconds=N)', async () => {
    for (let i = 0; i < 12; i++) await graphGet(sb.baseUrl, `/act_${acct}`, token);
    expect((await graphGet(sb.baseUrl, `/act_${acct}`, token)).status).to.equal(400);
    const adv = await http(`${sb.baseUrl}/__sandbox/advance?seconds=600`, { method: 'POST' });
    expect(adv.status).to.equal(200);
    expect((await graphGet(sb.baseUrl, `/act_${acct}`, token)).status).to.equal(200);
  });

  it('throttles the whole app with code 4 once the app budget is spent', async () => {
    const tiny = await startSandbox({ world: 'small', seed: 9, rateLimits: { appBudget: 3, accountBudget: 100, now: () => 0 } });
    try {
      const t = tiny.tokens[0]!.token;
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await graphGet(tiny.baseUrl, '/me', t)).json.error?.code ?? 200);
      expect(codes).to.deep.equal([200, 200, 200, 4, 4]);
    } finally {
      await tiny.close();
    }
  });
});
