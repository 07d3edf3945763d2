// Runs N generated hostile Singer inputs through the target (in-process loader, real DuckDB) and
// prints the figures per category. Usage: node --import tsx bench/reliability/hostile-run.ts [n=1000]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostileCase } from './hostile.js';
import { checkCase } from './hostile-check.js';

const n = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
const byCategory = new Map<string, { cases: number; ok: number }>();
let failed = 0;
const started = Date.now();
try {
  for (let id = 0; id < n; id++) {
    const c = hostileCase(id);
    const r = await checkCase(c, path.join(dir, `${id}.duckdb`), dir);
    rmSync(path.join(dir, `${id}.duckdb`), { force: true });
    const s = byCategory.get(c.category) ?? { cases: 0, ok: 0 };
    s.cases++;
    if (r.problems.length === 0) s.ok++;
    else {
      failed++;
      console.log(`case ${id} (${c.category}, validate ${c.validate}): ${r.problems.join('; ')}`);
    }
    byCategory.set(c.category, s);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [k, v] of [...byCategory].sort()) console.log(`${k.padEnd(28)} ${v.ok}/${v.cases}`);
console.log(JSON.stringify({ cases: n, categories: byCategory.size, failed, seconds: Math.round((Date.now() - started) / 1000) }));
if (failed) process.exitCode = 1;
