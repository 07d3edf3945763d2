// `fb-ads-elt serve` stopped twice in a row (Ctrl-C twice in its terminal, or two SIGTERMs) while a
// sync runs: it must still wait for the target to commit, record the run, and exit, leaving no
// target behind on the DuckDB file (Node's default for the second signal killed serve at once).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../connector/core/config.js';
import { nowEnv } from '../../connector/core/clock.js';
import { addDays } from '../../connector/core/dates.js';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';

const SECRET = 'serve-signals-' + 'c3d4'.repeat(6);

describe('fb-ads-elt serve stopped twice during a sync (CLI, against the sandbox)', function () {
  this.timeout(180_000);
  let sandbox: Sandbox;
  let dir: string;
  before(async () => {
    sandbox = await startSandbox({ world: 'small', seed: 5, jobDurationMs: 10 });
    dir = mkdtempSync(path.join(tmpdir(), 'e2e-serve-signals-'));
  });
  after(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records the stopped run (exit 7), exits 0 and frees the DuckDB file', async () => {
    writeFileSync(
      path.join(dir, 'tap.json'),
      JSON.stringify({ access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })), api_base_url: sandbox.baseUrl, start_date: addDays(sandbox.world.clock.today, -300), insights_poll_interval_seconds: 0.02, retry_base_ms: 10 }),
    );
    writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ destination: 'duckdb', duckdb_path: 'w.duckdb' }));
    writeFileSync(path.join(dir, 'serve.json'), JSON.stringify({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json', state_file: 'state.json', status_file: 'status.json', port: 0 }));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'serve', '--config', path.join(dir, 'serve.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...nowEnv(sandbox.now()) },
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      const { url } = JSON.parse(first) as { url: string };
      const auth = { authorization: `Bearer ${SECRET}` };
      expect((await fetch(`${url}/api/meta-ads/sync`, { method: 'POST', headers: auth })).status).to.equal(202);
      for (;;) {
        const st = (await (await fetch(`${url}/api/meta-ads/sync-status`, { headers: auth })).json()) as { running: { progress?: { stream?: string } } | null };
        if (String(st.running?.progress?.stream ?? '').startsWith('insights_')) break;
        expect(st.running, 'the run ended before it could be stopped').to.not.equal(null);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGTERM');
      expect(await exited, err.slice(-3000)).to.equal(0);
      expect(err).to.include('SIGTERM again: already stopping');
      const status = JSON.parse(readFileSync(path.join(dir, 'status.json'), 'utf8')) as { runs: Array<{ exit_code: number }> };
      expect(status.runs[0]?.exit_code).to.equal(7);
      const { DuckDBInstance } = await import('@duckdb/node-api');
      (await DuckDBInstance.create(path.join(dir, 'w.duckdb'))).closeSync();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
