import { expect } from 'chai';
import { GraphClient } from '../../../connector/graph/client.js';
import { TransientError } from '../../../connector/core/errors.js';
import { startFakeGraph, graphError, tapConfig, memoryLogger, parsed, type FakeGraph } from './fake-graph.js';

const A = { label: 'agency', token: 'sbx_agency_5f3a9c0d1e2b' };

describe('circuit breaker', () => {
  let fake: FakeGraph;
  afterEach(async () => fake?.close());

  const make = (over: Record<string, unknown>) => {
    const mem = memoryLogger();
    const c = new GraphClient({ config: tapConfig({ api_base_url: fake.baseUrl, ...over }), log: mem.log, sleep: async () => undefined });
    return { c, mem };
  };

  it('opens after N consecutive failures, pauses all calls, then lets one trial call through (half-open) and closes on success', async () => {
    const times: number[] = [];
    // Three failures, then the service is healthy again: the call waits out the pause, then one trial succeeds.
    fake = await startFakeGraph(() => {
      times.push(Date.now());
      return times.length <= 3 ? { status: 503, json: graphError(2) } : { json: { ok: true } };
    });
    const { c, mem } = make({ circuit_breaker: { failures: 3, pause_seconds: 0.2 }, max_retries: 5 });
    expect(await c.request('act_1/ads', { tokens: [A] })).to.deep.equal({ ok: true });
    expect(times).to.have.length(4); // 3 failures open the breaker, the half-open trial succeeds
    expect(times[3]! - times[2]!).to.be.at.least(190);
    expect(c.breakerOpens()).to.equal(1);
    const lines = parsed(mem.text());
    const opened = lines.find((l) => String(l['msg']).startsWith('circuit breaker opened'));
    expect(opened?.['reason']).to.include('code 2');
    expect(lines.some((l) => String(l['msg']).startsWith('circuit breaker half-open'))).to.equal(true);
    expect(lines.some((l) => String(l['msg']).startsWith('circuit breaker closed'))).to.equal(true);
  });

  it('holds every concurrent caller while open, not just the one that tripped it', async () => {
    let act1 = 0;
    let tripAt = 0;
    let other: Promise<unknown> | undefined;
    const act2Times: number[] = [];
    const { c } = await (async () => {
      fake = await startFakeGraph((req) => {
        if (req.path.includes('act_1')) {
          act1 += 1;
          if (act1 <= 2) {
            if (act1 === 2) {
              tripAt = Date.now();
              // A healthy account's call starts while the breaker is (about to be) open.
              setTimeout(() => (other = c.request('act_2/ads', { tokens: [A] })), 20);
            }
            return { status: 500, json: graphError(1, 99) };
          }
          return { json: { ok: 1 } };
        }
        act2Times.push(Date.now());
        return { json: { ok: 2 } };
      });
      return make({ circuit_breaker: { failures: 2, pause_seconds: 0.25 }, max_retries: 4 });
    })();
    expect(await c.request('act_1/ads', { tokens: [A] })).to.deep.equal({ ok: 1 });
    expect(await other).to.deep.equal({ ok: 2 });
    expect(act2Times).to.have.length(1);
    expect(act2Times[0]! - tripAt).to.be.at.least(240);
  });

  it('re-opens when the half-open trial fails and the call finally fails after max_retries', async () => {
    fake = await startFakeGraph(() => ({ status: 503, json: graphError(2) }));
    const { c } = make({ circuit_breaker: { failures: 2, pause_seconds: 0.05 }, max_retries: 3 });
    const err = await c.request('act_1/ads', { tokens: [A] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TransientError);
    expect(fake.seen).to.have.length(4);
    expect(c.breakerOpens()).to.equal(3); // opened after 2 failures; each half-open trial (3rd, 4th) failed and re-opened it
  });

  it('does not count a policy block (368) as a service failure: one blocked user does not pause every call', async () => {
    fake = await startFakeGraph(() => ({ status: 400, json: graphError(368, 1404006) }));
    const { c, mem } = make({ circuit_breaker: { failures: 2, pause_seconds: 0.05 } });
    for (let i = 0; i < 5; i++) expect(await c.request(`act_${i}/ads`, { tokens: [A] }).catch((e: unknown) => e)).to.be.instanceOf(TransientError); // exit 7, retry later
    expect(c.breakerOpens()).to.equal(0);
    expect(fake.seen, 'each call once: not retried').to.have.length(5);
    expect(parsed(mem.text()).some((l) => String(l['msg']).startsWith('circuit breaker opened'))).to.equal(false);
  });

  it('does not count permanent errors (auth, permission, bad request) as service failures', async () => {
    fake = await startFakeGraph(() => ({ status: 400, json: graphError(100) }));
    const { c } = make({ circuit_breaker: { failures: 2, pause_seconds: 10 } });
    for (let i = 0; i < 5; i++) await c.request('act_1/ads', { tokens: [A] }).catch(() => undefined);
    expect(c.breakerOpens()).to.equal(0);
    expect(fake.seen).to.have.length(5);
  });
});
