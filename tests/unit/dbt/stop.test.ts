// A stopped run stops dbt too: Ctrl-C or a supervisor's SIGTERM during `sync --models` ends the
// models step as "stopped" (exit 7), never as a failing model with dbt's interrupted traceback.
import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbtBuild } from '../../../connector/dbt/run.js';
import { TransientError } from '../../../connector/core/errors.js';
import { Logger } from '../../../connector/core/log.js';
import { MemorySink } from '../../integration/pipeline/standins.js';

describe('dbt build stopped by the run', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'dbt-stop-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sends dbt SIGINT when the run is aborted and ends with a retryable "stopped" error', async () => {
    // A stand-in for dbt: says it started, then waits; on SIGINT it notes it and prints a traceback as dbt does.
    const fake = path.join(dir, 'dbt');
    const mark = path.join(dir, 'got-sigint');
    writeFileSync(fake, `#!/bin/sh\ntrap 'echo yes > "${mark}"; echo "Traceback (most recent call last): KeyboardInterrupt" >&2; exit 2' INT\necho '{"info":{"level":"info","msg":"Running with dbt=1.11"}}'\nwhile true; do sleep 0.1; done\n`);
    chmodSync(fake, 0o755);
    const warehouse = path.join(dir, 'w.duckdb');
    writeFileSync(warehouse, '');
    const ac = new AbortController();
    const log = new Logger({ component: 'test', sink: new MemorySink() });
    setTimeout(() => ac.abort(), 500);
    let err: unknown;
    try {
      await dbtBuild({ duckdbPath: warehouse, dbt: fake, log, signal: ac.signal, threads: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(TransientError);
    expect((err as TransientError).exitCode).to.equal(7);
    expect((err as Error).message).to.match(/stopped before it finished/);
    expect(readFileSync(mark, 'utf8').trim()).to.equal('yes');
  });

  it('does not start dbt at all when the run was already stopped', async () => {
    const ac = new AbortController();
    ac.abort();
    const log = new Logger({ component: 'test', sink: new MemorySink() });
    let err: unknown;
    try {
      await dbtBuild({ duckdbPath: path.join(dir, 'w.duckdb'), dbt: path.join(dir, 'no-such-dbt'), log, signal: ac.signal });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(TransientError);
  });
});
