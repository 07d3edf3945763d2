// The CI subset of the reliability suite's generated hostile inputs (bench/reliability/hostile.ts;
// the full 1,000 run with its figures is in RELIABILITY.md): every category, both validation
// settings, through the in-process loader on real DuckDB.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CATEGORIES, hostileCase } from '../../../bench/reliability/hostile.js';
import { checkCase } from '../../../bench/reliability/hostile-check.js';

describe('target on generated hostile Singer input (fast subset)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Two cases per category (ids id and id + categories hit the same category with other details).
  for (let id = 0; id < CATEGORIES.length * 2; id++) {
    const c = hostileCase(id);
    it(`case ${id} (${c.category}, validation ${c.validate ? 'on' : 'off'}): exit 6 naming line 5, no STATE or row from after it`, async () => {
      const r = await checkCase(c, path.join(dir, `${id}.duckdb`), dir);
      expect(r.problems, r.message).to.deep.equal([]);
    });
  }
});
