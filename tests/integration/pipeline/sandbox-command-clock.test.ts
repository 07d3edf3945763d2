// `fb-ads-elt sandbox` against a tap run as README says: each tap run pinned to the `now` the command
// printed (FB_ADS_ELT_NOW), started whenever the user gets to it. Unlike the demo's (demo-clock.test.ts),
// this sandbox's Date stays at the world clock: a Date moving on from the sandbox's start would be
// ahead of every such tap started more than the tap's margin later, and warn it to fix its NTP.
import { expect } from 'chai';
import { clockStartingAt } from '../../../connector/core/clock.js';
import { sandboxCommandOptions } from '../../../connector/sandbox/cli.js';
import { startGraphSandbox, type Sandbox } from '../../../connector/pipeline/sandbox-port.js';
import { BOOKMARK_MARGIN_SECONDS, ClockSkewWatch, type ClockSkew } from '../../../connector/tap/entity-bookmark.js';
import { graphGet } from '../../sandbox/helpers.js';

describe("fb-ads-elt sandbox's clock against a tap pinned to the now it printed", () => {
  let sb: Sandbox;
  let printed: Date;
  const realNow = performance.now.bind(performance);
  let shift = 0;
  before(async () => {
    // The command's own options, as commander fills them for `fb-ads-elt sandbox --today 2026-11-20`.
    sb = await startGraphSandbox(sandboxCommandOptions({ port: 0, host: '127.0.0.1', seed: 1, world: 'small', today: '2026-11-20', latencyMs: 0, rateLimits: true }));
    printed = sb.now();
    // Elapsed time, faked: a live Date and the tap's clock would both move on with performance.now().
    performance.now = () => realNow() + shift;
  });
  after(async () => {
    performance.now = realNow;
    await sb?.close();
  });

  for (const minutes of [0, 20, 180]) {
    it(`shows no clock skew to a short tap run started ${minutes} minutes after the sandbox`, async () => {
      shift = minutes * 60_000;
      const tapClock = clockStartingAt(printed);
      const seen: ClockSkew[] = [];
      const watch = new ClockSkewWatch((k) => seen.push(k));
      const res = await graphGet(sb.baseUrl, '/me', sb.tokens[0]!.token);
      expect(res.status).to.equal(200);
      const served = new Date(res.headers.get('date')!);
      watch.observe(served, tapClock());
      expect(Math.abs(served.getTime() - tapClock().getTime()), `${minutes} min after the sandbox started`).to.be.below(BOOKMARK_MARGIN_SECONDS * 1000);
      expect(seen).to.deep.equal([]);
    });
  }
});
