// Issue 18 part 7 / issue 21: every bin answers --help (exit 0), --version (package.json) and --about
// in text, json and markdown, Meltano SDK style, with settings taken from the bin's config schema.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', `${bin}.js`), ...args], { encoding: 'utf8', input: '', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const json = (rel: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(REPO_ROOT, rel), 'utf8')) as Record<string, unknown>;
const VERSION = String(json('package.json')['version']);

const BINS: Array<{ bin: string; schema: string; capabilities: string[] }> = [
  { bin: 'tap-facebook-ads', schema: 'spec.json', capabilities: ['about', 'catalog', 'discover', 'state', 'activate-version'] },
  { bin: 'target-bigquery', schema: 'schemas/target-config.json', capabilities: ['about', 'activate-version', 'soft-delete'] },
  { bin: 'fb-ads-elt', schema: 'schemas/serve-config.json', capabilities: ['about'] },
];

describe('every bin answers --help, --version and --about', function () {
  this.timeout(60_000);

  it('package.json lists exactly these bins', () => {
    expect(Object.keys(json('package.json')['bin'] as object).sort()).to.deep.equal(BINS.map((b) => b.bin).sort());
  });

  for (const { bin, schema, capabilities } of BINS) {
    describe(bin, () => {
      it('--help prints usage on stdout and exits 0', () => {
        const r = run(bin, ['--help']);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.match(new RegExp(`^Usage: ${bin} `));
        expect(r.stdout).to.include('--about').and.include('--version');
      });

      it('--version prints the package.json version and exits 0', () => {
        const r = run(bin, ['--version']);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout.trim()).to.equal(VERSION);
      });

      it('--about --format json has the Meltano SDK fields, the capabilities and the config schema as settings', () => {
        const r = run(bin, ['--about', '--format', 'json']);
        expect(r.status, r.stderr).to.equal(0);
        const about = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(Object.keys(about)).to.deep.equal(['name', 'description', 'version', 'sdk_version', 'supported_python_versions', 'capabilities', 'settings']);
        expect(about).to.include({ name: bin, version: VERSION });
        expect(about['description']).to.be.a('string').and.not.equal('');
        expect(about['capabilities']).to.deep.equal(capabilities);
        expect(about['settings'], 'one source: the schema the bin validates its config with').to.deep.equal(json(schema));
      });

      it('--about (text) and --about --format markdown name the bin, its version and every top-level setting', () => {
        const settings = Object.keys((json(schema)['properties'] ?? {}) as object);
        const text = run(bin, ['--about']);
        expect(text.status, text.stderr).to.equal(0);
        expect(text.stdout).to.include(`Name: ${bin}`).and.include(`Version: ${VERSION}`);
        for (const s of settings) expect(text.stdout).to.include(`  - Name: ${s}\n`);
        const md = run(bin, ['--about', '--format', 'markdown']);
        expect(md.status, md.stderr).to.equal(0);
        expect(md.stdout).to.match(new RegExp(`^# \`${bin}\``));
        expect(md.stdout).to.include('| Setting | Required | Default | Description |');
        for (const s of settings) expect(md.stdout).to.include(`| ${s} |`);
      });

      it('refuses an unknown --format with a usage error (exit 2)', () => {
        const r = run(bin, ['--about', '--format', 'xml']);
        expect(r.status).to.equal(2);
        expect(r.stdout).to.equal('');
      });
    });
  }

  it('tap-facebook-ads and target-bigquery still require --config for a run (exit 2, naming the option)', () => {
    for (const bin of ['tap-facebook-ads', 'target-bigquery']) {
      const r = run(bin, []);
      expect(r.status, bin).to.equal(2);
      expect(r.stderr).to.include('--config');
    }
  });

  it('fb-ads-elt sync --help exits 0', () => {
    const r = run('fb-ads-elt', ['sync', '--help']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Usage: fb-ads-elt sync /);
  });
});
