#!/usr/bin/env node
// `npm run build`: compiles connector/ into a fresh folder beside dist/ and swaps it in with renames,
// so a bin started during a build (tests, a timer, a second terminal) finds either the whole old
// build or the whole new one — never a dist/ half deleted, which `rm -rf dist && tsc` left for the
// seconds tsc takes. The stamp bin/launch.js checks is written last, inside the new folder.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(ROOT, 'dist');
const fresh = path.join(ROOT, `.dist-${process.pid}`);
const old = path.join(ROOT, `.dist-old-${process.pid}`);

rmSync(fresh, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', fresh], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(fresh, { recursive: true, force: true });
  process.exit(r.status ?? 1);
}
// Config validators compiled once from their schemas (connector/core/validators.ts): the bins then
// validate their configs without ajv's compiler.
const { writePrecompiledValidators } = await import(pathToFileURL(path.join(fresh, 'connector', 'core', 'validators.js')).href);
writePrecompiledValidators(ROOT, fresh);
writeFileSync(path.join(fresh, '.build-stamp'), '');
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
