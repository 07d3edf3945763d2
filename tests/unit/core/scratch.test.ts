// Scratch folders (row data in batch files): private to the user, and what a killed run left is
// removed at the next start. Real processes give the pids: a finished one (dead) and a live one.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeScratch, scratchRoot } from '../../../connector/core/scratch.js';

describe('scratch folders', () => {
  let base: string;
  beforeEach(() => (base = mkdtempSync(path.join(os.tmpdir(), 'scratch-test-'))));
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('are created under a per-user root that only the user can read (0700)', () => {
    const dir = makeScratch('target', base);
    expect(path.dirname(dir)).to.equal(scratchRoot(base));
    expect(statSync(path.dirname(dir)).mode & 0o777).to.equal(0o700);
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    expect(path.basename(dir)).to.match(new RegExp(`^target-${process.pid}-`));
  });

  it("removes a dead run's folder at the next start, keeps a live run's, and removes day-old legacy TMPDIR folders", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const root = scratchRoot(base);
      mkdirSync(path.join(root, `target-${dead}-abc123`));
      mkdirSync(path.join(root, `sync-${live.pid}-abc123`));
      const legacyOld = path.join(base, 'target-bigquery-AbC123');
      const legacyNew = path.join(base, 'fb-ads-elt-sync-XyZ789');
      mkdirSync(legacyOld);
      mkdirSync(legacyNew);
      // Both ages set from the process clock: the kernel stamps a new folder with its own time, which
      // differs from the process clock under libfaketime (the clock matrix), and age is judged on the latter.
      const now = Date.now() / 1000;
      const twoDaysAgo = now - 2 * 24 * 3600;
      utimesSync(legacyOld, twoDaysAgo, twoDaysAgo);
      utimesSync(legacyNew, now, now);
      const mine = makeScratch('sync', base);
      expect(readdirSync(root).sort()).to.deep.equal([`sync-${live.pid}-abc123`, path.basename(mine)].sort());
      expect(existsSync(legacyOld)).to.equal(false);
      expect(existsSync(legacyNew)).to.equal(true);
    } finally {
      live.kill('SIGKILL');
    }
  });
});
