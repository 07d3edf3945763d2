import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { http } from './helpers.js';

/** Replays one request script against a fresh sandbox and returns everything it answered. */
async function transcript(seed: number): Promise<string[]> {
  const sb: Sandbox = await startSandbox({ world: 'small', seed, jobDurationMs: 0, rateLimits: { now: () => 0 } });
  const out: string[] = [];
  try {
    const tok = sb.tokens[0]!.token;
    const base = sb.baseUrl;
    const local = (u: string) => u.split(base).join('http://SANDBOX'); // the port differs between runs
    const rec = async (url: string, init?: RequestInit) => {
      const r = await http(url, init);
      const headers = [...r.headers.entries()].filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k));
      out.push(`${r.status} ${JSON.stringify(headers)} ${local(r.text)}`);
      return r;
    };
    const me = await rec(`${base}/v25.0/me/adaccounts?fields=account_id,name,currency,amount_spent&access_token=${tok}&limit=2`);
    await rec(me.json.paging.next);
    const acct = me.json.data[0].account_id;
    await rec(`${base}/v25.0/act_${acct}/ads?fields=name,creative,updated_time,effective_status&access_token=${tok}`);
    await rec(`${base}/v25.0/act_${acct}/insights?level=ad&time_increment=1&date_preset=last_7d&fields=ad_id,spend,actions,cpc&breakdowns=age&access_token=${tok}`);
    const run = await rec(`${base}/v25.0/act_${acct}/insights?access_token=${tok}&level=campaign&fields=spend,reach`, { method: 'POST' });
    await rec(`${base}/v25.0/${run.json.report_run_id}?access_token=${tok}`);
    await rec(`${base}/v25.0/${run.json.report_run_id}/insights?access_token=${tok}`);
    await rec(`${base}/v25.0/act_${acct}/campaigns?fields=nope&access_token=${tok}`);
    sb.advanceDay(2);
    await rec(`${base}/v25.0/act_${acct}/campaigns?fields=name,updated_time,status&access_token=${tok}`);
  } finally {
    await sb.close();
  }
  return out;
}

describe('sandbox: determinism', () => {
  it('answers the same request sequence with byte-identical responses for the same seed', async () => {
    const a = await transcript(42);
    const b = await transcript(42);
    expect(a).to.have.length(9);
    expect(b).to.deep.equal(a);
  });

  it('builds a different world for a different seed', async () => {
    const a = await transcript(42);
    const c = await transcript(43);
    expect(c[0]).to.not.equal(a[0]);
  });
});
