// A run's hints name what its caller can pass: sync hands the surface to the real tap (and target)
// in FB_ADS_ELT_SURFACE, so a hint the tap writes says `--account` to a CLI user and the POST body's
// "account_id" to an HTTP caller of serve, in the summary serve's status shows.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { nowEnv } from '../../../connector/core/clock.js';
import { Logger } from '../../../connector/core/log.js';
import type { Surface } from '../../../connector/core/surface.js';
import { runSync } from '../../../connector/pipeline/sync.js';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { makeStandins, MemorySink, type Standins } from './standins.js';

describe('hints of a run narrowed to an account no token reaches, by the surface that asked for it (real tap, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let s: Standins;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 4 });
    s = makeStandins();
    writeFileSync(s.tapConfig, JSON.stringify({ access_tokens: sb.tokens.map((t) => ({ label: t.label, token: t.token })), api_base_url: sb.baseUrl, retry_base_ms: 5, max_retries: 1 }));
  });
  after(async () => {
    await sb?.close();
    s?.cleanup();
  });

  const hintOf = async (surface: Surface): Promise<string | undefined> => {
    const sink = new MemorySink();
    const r = await runSync({
      tapConfigPath: s.tapConfig,
      targetConfigPath: s.targetConfig,
      account: '999999999',
      surface,
      log: new Logger({ component: 'fb-ads-elt', sink }),
      logSink: sink,
      targetCommand: s.target,
      env: { ...process.env, ...nowEnv(sb.now()) },
    });
    expect(r.exitCode, sink.text).to.not.equal(0);
    return r.summary.failures.find((f) => /999999999/.test(f.message))?.hint;
  };

  it('names --account on the CLI and "account_id" in the POST body for serve', async () => {
    expect(await hintOf('cli')).to.match(/or check the id given as --account\.$/);
    const serve = await hintOf('serve');
    expect(serve).to.match(/or check the id given as "account_id" in the POST \/api\/meta-ads\/sync body\.$/);
    expect(serve).not.to.include('--account');
  });
});
