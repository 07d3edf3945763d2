// The batch-mapping worker threads must start whatever the process's working directory: a sync run
// from /etc/fb-ads-elt or a scheduler's folder, on sources run through tsx (a checkout whose dist/ is
// older than its sources, e.g. right after `git pull`), crashed every worker with "Cannot find
// package 'tsx' imported from <cwd>/[worker eval]".
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MapPool } from '../../../connector/target/map-pool.js';
import type { MapJob } from '../../../connector/target/map-batch.js';

describe('MapPool workers', function () {
  this.timeout(30_000);
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    cwd = process.cwd();
    dir = mkdtempSync(path.join(tmpdir(), 'map-pool-cwd-'));
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('start and answer when the working directory is outside the repository', async () => {
    const pool = new MapPool(1);
    // A part whose raw file does not exist: a booted worker answers with that error; one that cannot boot crashes.
    const job = { stream: 's', rawPath: path.join(dir, 'missing.ndjson'), outPath: path.join(dir, 'out.ndjson'), part: { start: 0, end: 1, firstLine: 1 } } as unknown as MapJob;
    let err: unknown;
    try {
      await pool.map([job]);
    } catch (e) {
      err = e;
    } finally {
      await pool.close();
    }
    expect(String(err)).to.match(/worker failed: .*ENOENT/s);
    expect(String(err)).not.to.include('crashed');
  });
});
