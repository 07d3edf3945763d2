// The demo's tap is pinned to the sandbox's world clock at the start of its sync and its clock then
// moves on (core/clock.ts); the sandbox it reads must stamp its `Date` header so that the tap's
// clock-skew check (tap/entity-bookmark.ts ClockSkewWatch, which stays as strict against real Meta)
// never warns in the demo, however long the run takes on a busy machine.
import { expect } from 'chai';
import { clockStartingAt } from '../../../connector/core/clock.js';
import { demoSandboxOptions } from '../../../connector/pipeline/demo.js';
import { startGraphSandbox, type Sandbox } from '../../../connector/pipeline/sandbox-port.js';
import { BOOKMARK_MARGIN_SECONDS, ClockSkewWatch, type ClockSkew } from '../../../connector/tap/entity-bookmark.js';
import { graphGet } from '../../sandbox/helpers.js';

describe("the demo's sandbox clock against its tap's", () => {
  let sb: Sandbox;
  const realNow = performance.now.bind(performance);
  let shift = 0;
  before(async () => {
    sb = await startGraphSandbox(demoSandboxOptions({ world: 'small', today: '2026-11-20' }));
    // Elapsed time, faked: the sandbox's and the tap's clocks both move on with performance.now().
    performance.now = () => realNow() + shift;
  });
  after(async () => {
    performance.now = realNow;
    await sb?.close();
  });

  it('shows no clock skew to a tap pinned to sandbox.now() at its start, even 20 minutes into the run', async () => {
    const tapClock = clockStartingAt(sb.now());
    const seen: ClockSkew[] = [];
    const watch = new ClockSkewWatch((k) => seen.push(k));
    const token = sb.tokens[0]!.token;
    for (const minutes of [0, 6, 20]) {
      shift = minutes * 60_000;
      const res = await graphGet(sb.baseUrl, '/me', token);
      expect(res.status).to.equal(200);
      const served = new Date(res.headers.get('date')!);
      watch.observe(served, tapClock());
      expect(Math.abs(served.getTime() - tapClock().getTime()), `${minutes} min in`).to.be.below(BOOKMARK_MARGIN_SECONDS * 1000);
    }
    expect(seen).to.deep.equal([]);
  });
});
