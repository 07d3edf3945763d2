import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { binEnv, binNodeFlags } from '../../../connector/cli/node-flags.js';
import { DEFAULT_TAP_COMMAND, DEFAULT_TARGET_COMMAND } from '../../../connector/pipeline/sync.js';

// What a bin loads on its production start path, recorded by a preload: ESM modules through a load
// hook, CommonJS ones from the require cache at exit. Runs the compiled build, as an installed bin does.
const RECORDER = `
import { register, createRequire } from 'node:module';
import { writeFileSync, appendFileSync } from 'node:fs';
const out = process.env.LOADED_MODULES_FILE;
writeFileSync(out, '');
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, ctx, next) { appendFileSync(\${JSON.stringify(process.env.LOADED_MODULES_FILE)}, url + '\\\\n'); return next(url, ctx); }\`));
const req = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(out, Object.keys(req.cache).map((f) => 'file://' + f).join('\\n') + '\\n'));
`;

/**
 * Repository-relative files that the production start path must never load. connector/{sandbox,dbt}/cli
 * only declare their `fb-ads-elt` subcommands (options, help) and import the rest when one runs.
 */
const NOT_ON_START_PATH = /^(?:dist\/)?(?:connector\/sandbox\/(?!cli\.js$)|connector\/pipeline\/demo\.|connector\/report\/|connector\/dbt\/(?!cli\.js$)|tests\/|bench\/)/;

describe('production start path of the bins', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    // `npm test` builds first; launch.js runs the sources through tsx when dist/ is older than them.
    expect(existsSync(path.join(REPO_ROOT, 'dist', '.build-stamp')), 'no build in dist/: run `npm run build`').to.equal(true);
    dir = mkdtempSync(path.join(tmpdir(), 'start-path-'));
    writeFileSync(path.join(dir, 'recorder.mjs'), RECORDER);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function loaded(bin: string, args: string[]): string[] {
    const file = path.join(dir, `${bin}.loaded`);
    const binFile = path.join(REPO_ROOT, 'bin', `${bin}.js`);
    const r = spawnSync(process.execPath, ['--import', path.join(dir, 'recorder.mjs'), ...binNodeFlags(binFile), binFile, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, LOADED_MODULES_FILE: file, FB_ADS_ELT_FROM_SOURCE: '' },
    });
    expect(r.status, `${bin} ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file://'))
      .map((u) => path.relative(REPO_ROOT, new URL(u).pathname));
  }

  for (const bin of ['tap-facebook-ads', 'target-bigquery', 'fb-ads-elt']) {
    it(`${bin} --version runs the compiled build and loads no sandbox, test, demo, report or dbt code`, () => {
      const files = loaded(bin, ['--version']).filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'));
      expect(
        files.some((f) => f.startsWith('dist/connector/cli/')),
        files.join(', '),
      ).to.equal(true);
      expect(
        files.filter((f) => f.startsWith('connector/')),
        'no TypeScript source runs through tsx (is dist/ older than the sources? `npm run build`)',
      ).to.deep.equal([]);
      expect(files.filter((f) => NOT_ON_START_PATH.test(f))).to.deep.equal([]);
      expect(files.filter((f) => f.startsWith('node_modules/tsx'))).to.deep.equal([]);
    });
  }

  it('tap-facebook-ads --discover loads no sandbox, HTTP library or luxon code, and ajv only as the precompiled validator needs it', () => {
    const config = path.join(dir, 'tap.json');
    writeFileSync(config, JSON.stringify({ access_token: 'EAAB-not-a-real-token', start_date: '2026-01-01' }));
    const files = loaded('tap-facebook-ads', ['--config', config, '--discover']);
    expect(files.filter((f) => NOT_ON_START_PATH.test(f))).to.deep.equal([]);
    expect(files.filter((f) => /^node_modules\/(?:axios|form-data|follow-redirects)\//.test(f))).to.deep.equal([]);
    // Any luxon DateTime builds an Intl.DateTimeFormat, which maps ~6 MB of ICU data into the tap (core/dates.ts).
    expect(files.filter((f) => f.startsWith('node_modules/luxon/'))).to.deep.equal([]);
    expect(files).to.include('dist/validators/spec.json.cjs');
    expect(
      files.filter((f) => f.startsWith('node_modules/ajv/') && !f.startsWith('node_modules/ajv/dist/runtime/')),
      "ajv's compiler stays unloaded",
    ).to.deep.equal([]);
  });

  it("passes the V8 flags of the tap's and the target's shebangs to whoever starts them as `node <bin>`", () => {
    const tap = path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js');
    const flags = binNodeFlags(tap);
    expect(flags).to.include('--max-semi-space-size=1');
    expect(DEFAULT_TAP_COMMAND).to.deep.equal([process.execPath, ...flags, tap]);
    const target = path.join(REPO_ROOT, 'bin', 'target-bigquery.js');
    expect(binNodeFlags(target)).to.deep.equal(['--max-semi-space-size=1']);
    expect(binEnv(target)).to.deep.equal(['MALLOC_ARENA_MAX=2']);
    expect(binEnv(tap)).to.deep.equal([]);
    expect(DEFAULT_TARGET_COMMAND).to.deep.equal(['/usr/bin/env', 'MALLOC_ARENA_MAX=2', process.execPath, '--max-semi-space-size=1', target]);
    // The target started that way gets the variable (glibc reads it when the process starts).
    const seen = spawnSync(DEFAULT_TARGET_COMMAND[0]!, [...DEFAULT_TARGET_COMMAND.slice(1, 3), '-p', 'process.env.MALLOC_ARENA_MAX'], { encoding: 'utf8' });
    expect(seen.stdout.trim(), String(seen.stderr)).to.equal('2');
    // Node accepts them (a typo would make every tap run fail at start).
    const r = spawnSync(process.execPath, [...flags, '-e', '0']);
    expect(r.status, String(r.stderr)).to.equal(0);
  });
});
