import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import yaml from 'js-yaml';
import { loadSchema, REPO_ROOT } from '../../../connector/core/config.js';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { registerPipeline } from '../../../connector/pipeline/cli.js';
import { venvExecutable } from '../../../connector/dbt/python-env.js';
import { capabilitiesOf, MELTANO_CAPABILITIES } from '../../../connector/cli/about.js';
import { withMeltanoDefinitions } from '../../../deploy/meltano/hub.js';
import { Logger } from '../../../connector/core/log.js';
import { runSync } from '../../../connector/pipeline/sync.js';
import { makeStandins, MemorySink } from './standins.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const INSTALL_ROOT = '/opt/fb-ads-elt';

type Unit = Record<string, Record<string, string[]>>;
/** A systemd unit file as sections of repeated keys (comments and blank lines dropped). */
function parseUnit(text: string): Unit {
  const out: Unit = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    expect(eq, `line "${line}" is key=value`).to.be.greaterThan(0);
    expect(section, `line "${line}" is inside a section`).to.not.equal('');
    (out[section]![line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

function pipelineCommand(name: string): Command {
  const program = new Command('fb-ads-elt');
  registerPipeline(program);
  const cmd = program.commands.find((c) => c.name() === name);
  expect(cmd, `fb-ads-elt ${name} exists`).to.not.equal(undefined);
  return cmd!;
}

/** Checks an fb-ads-elt command line names a real bin, a real subcommand and only its real flags. */
function checkFbAdsEltCommand(commandLine: string, repoPathOf: (p: string) => string): void {
  const words = commandLine.split(/\s+/).filter(Boolean);
  const bin = repoPathOf(words[0]!);
  accessSync(bin, constants.X_OK);
  expect(path.basename(bin)).to.equal('fb-ads-elt.js');
  const cmd = pipelineCommand(words[1]!);
  const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
  const used = words.slice(2).filter((w) => w.startsWith('-'));
  expect(used.length).to.be.greaterThan(0);
  for (const flag of used) expect(known.has(flag), `${words[1]} accepts ${flag}`).to.equal(true);
  for (const opt of cmd.options.filter((o) => o.mandatory)) expect(used, `${words[1]} is given its required ${opt.long}`).to.include(opt.long);
}

describe('deploy/systemd units', () => {
  const dir = path.join(DEPLOY, 'systemd');
  const units = Object.fromEntries(readdirSync(dir).map((f) => [f, parseUnit(readFileSync(path.join(dir, f), 'utf8'))]));
  const fromInstall = (p: string): string => {
    expect(p.startsWith(INSTALL_ROOT + '/'), `${p} is under ${INSTALL_ROOT}`).to.equal(true);
    return path.join(REPO_ROOT, p.slice(INSTALL_ROOT.length + 1));
  };

  it('has a sync service, a serve service and a timer', () => {
    expect(Object.keys(units).sort()).to.deep.equal(['fb-ads-elt-serve.service', 'fb-ads-elt-sync.service', 'fb-ads-elt-sync.timer']);
  });

  it('starts the sync service every 15 minutes, catching up after downtime', () => {
    const timer = units['fb-ads-elt-sync.timer']!['Timer']!;
    expect(timer['Unit']).to.deep.equal(['fb-ads-elt-sync.service']);
    expect(timer['Persistent']).to.deep.equal(['true']);
    expect(timer['OnCalendar']).to.have.length(1);
    const r = spawnSync('systemd-analyze', ['calendar', '--iterations=5', '--base-time=2026-11-25 10:07:00 UTC', timer['OnCalendar']![0]!], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    if (r.error) {
      // No systemd tools here: the expression itself must be the every-15-minutes form.
      expect(timer['OnCalendar']![0]).to.equal('*:0/15');
      return;
    }
    const times = [...r.stdout.matchAll(/(\d\d):(\d\d):00/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(times).to.deep.equal(['10:15', '10:30', '10:45', '11:00', '11:15']);
  });

  it('runs commands that exist, with flags the CLI accepts', () => {
    for (const name of ['fb-ads-elt-sync.service', 'fb-ads-elt-serve.service']) {
      const exec = units[name]!['Service']!['ExecStart']!;
      expect(exec, name).to.have.length(1);
      checkFbAdsEltCommand(exec[0]!, fromInstall);
    }
    expect(units['fb-ads-elt-sync.service']!['Service']!['Type']).to.deep.equal(['oneshot']);
    const sync = units['fb-ads-elt-sync.service']!['Service']!['ExecStart']![0]!;
    expect(sync).to.include('--state-file /var/lib/fb-ads-elt/');
    expect(units['fb-ads-elt-sync.service']!['Service']!['StateDirectory']).to.deep.equal(['fb-ads-elt']);
  });

  it('restarts serve after a crash or exit 7, never after a config error (exit 2) that a restart cannot fix', () => {
    const serve = units['fb-ads-elt-serve.service']!['Service']!;
    expect(serve['Restart']).to.deep.equal(['on-failure']);
    expect(serve['RestartPreventExitStatus']?.join(' ').split(/\s+/)).to.deep.equal([String(EXIT_CODES.config)]);
  });

  it('runs both services with a umask that keeps the files they create from other users, and the same sandbox', () => {
    const services = ['fb-ads-elt-sync.service', 'fb-ads-elt-serve.service'].map((n) => units[n]!['Service']!);
    for (const s of services) {
      expect(s['UMask'], 'UMask').to.have.length(1);
      expect(Number.parseInt(s['UMask']![0]!, 8) & 0o007, 'others get no access').to.equal(0o007);
      expect(s['ReadWritePaths']).to.deep.equal(['/var/lib/fb-ads-elt']);
      // V8's JIT needs writable+executable memory: this one setting would stop Node at start.
      expect(s['MemoryDenyWriteExecute'] ?? ['false']).to.deep.equal(['false']);
    }
    const sandbox = (s: Record<string, string[]>): string => JSON.stringify(Object.entries(s).filter(([k]) => /^(Protect|Private|Restrict|UMask|NoNew|Capability|Ambient|SystemCall|Lock|Remove|Keyring|ReadWrite)/.test(k)));
    expect(sandbox(services[0]!)).to.equal(sandbox(services[1]!));
  });

  it('rates both services as README says under systemd-analyze security', function () {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      // The test above still checks the settings; the score needs systemd's own analyser.
      console.warn("\n  !!! SKIPPED: systemd-analyze is not installed (Debian: apt-get install systemd), so the units' exposure level is not measured.\n");
      this.skip();
    }
    const stated = /`systemd-analyze security --offline=yes` rates both services (\d+\.\d) (\w+)/.exec(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(stated, 'README Deploy states the exposure level').to.not.equal(null);
    for (const name of ['fb-ads-elt-sync.service', 'fb-ads-elt-serve.service']) {
      const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(dir, name)], { encoding: 'utf8' });
      const level = /Overall exposure level for \S+: (\d+\.\d) (\w+)/.exec(r.stdout);
      expect(level, r.stdout + r.stderr).to.not.equal(null);
      expect(Number(level![1]), name).to.be.at.most(2);
      expect([level![1], level![2]], `${name} as README states`).to.deep.equal([stated![1], stated![2]]);
    }
  });

  it('passes systemd-analyze verify when the install root points at this checkout', function () {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    const tmp = mkdtempSync(path.join(tmpdir(), 'units-'));
    try {
      for (const f of Object.keys(units)) writeFileSync(path.join(tmp, f), readFileSync(path.join(dir, f), 'utf8').split(INSTALL_ROOT).join(REPO_ROOT));
      if (probe.error) {
        // Without systemd-analyze the parse above is the check; make sure the copy still parses.
        for (const f of Object.keys(units)) parseUnit(readFileSync(path.join(tmp, f), 'utf8'));
        return;
      }
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...Object.keys(units).map((f) => path.join(tmp, f))], { encoding: 'utf8' });
      expect(r.stderr.trim(), r.stderr).to.equal('');
      expect(r.status).to.equal(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

interface MeltanoSetting {
  name: string;
  kind: string;
  sensitive?: boolean;
  value?: unknown;
  options?: { value: unknown }[];
}
interface MeltanoPlugin {
  name: string;
  namespace: string;
  executable: string;
  capabilities?: string[];
  settings: MeltanoSetting[];
}

describe('deploy/meltano/meltano.yml', () => {
  const dir = path.join(DEPLOY, 'meltano');
  const doc = yaml.load(readFileSync(path.join(dir, 'meltano.yml'), 'utf8')) as { version?: number; plugins: { extractors: MeltanoPlugin[]; loaders: MeltanoPlugin[] }; environments: { name: string }[] };
  const tap = doc.plugins.extractors.find((p) => p.name === 'tap-facebook-ads')!;
  const target = doc.plugins.loaders.find((p) => p.name === 'target-bigquery')!;

  const expectedKind = (p: Record<string, unknown>): string => {
    if (p['enum']) return 'options';
    const formats = Array.isArray(p['anyOf']) ? (p['anyOf'] as Array<Record<string, unknown>>).map((x) => x['format']) : [p['format']];
    if (p['type'] === 'string' && formats.includes('date')) return 'date_iso8601';
    return ({ string: 'string', integer: 'integer', number: 'decimal', boolean: 'boolean', array: 'array', object: 'object' } as Record<string, string>)[String(p['type'])]!;
  };
  const checkSettings = (plugin: MeltanoPlugin, schemaPath: string): void => {
    const props = loadSchema(schemaPath)['properties'] as Record<string, Record<string, unknown>>;
    expect(plugin.settings.map((s) => s.name)).to.deep.equal(Object.keys(props));
    for (const s of plugin.settings) {
      const p = props[s.name]!;
      expect(s.kind, s.name).to.equal(expectedKind(p));
      expect(!!s.sensitive, `${s.name} sensitive`).to.equal(JSON.stringify(p).includes('"writeOnly":true'));
      if (s.value !== undefined) expect(s.value, `${s.name} default`).to.deep.equal(p['default']);
      if (p['enum'])
        expect(
          s.options?.map((o) => o.value),
          s.name,
        ).to.deep.equal(p['enum']);
    }
  };

  it('declares both plugins with executables that are this repository’s bins', () => {
    expect(tap).to.not.equal(undefined);
    expect(target).to.not.equal(undefined);
    // Meltano resolves an executable containing "/" relative to the project root (this directory).
    for (const [plugin, bin] of [
      [tap, 'tap-facebook-ads.js'],
      [target, 'target-bigquery.js'],
    ] as const) {
      const resolved = path.resolve(dir, plugin.executable);
      expect(resolved).to.equal(path.join(REPO_ROOT, 'bin', bin));
      accessSync(resolved, constants.X_OK);
    }
  });

  it('mirrors every field of spec.json in the tap settings, secrets marked sensitive', () => checkSettings(tap, 'spec.json'));
  it('mirrors every field of schemas/target-config.json in the target settings', () => checkSettings(target, 'schemas/target-config.json'));

  it("declares the capabilities each bin's --about reports, all of them names Meltano defines, and the tap's flags for them", () => {
    const about = (bin: string): string[] => (JSON.parse(spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', `${bin}.js`), '--about', '--format', 'json'], { encoding: 'utf8' }).stdout) as { capabilities: string[] }).capabilities;
    const tapAbout = about('tap-facebook-ads');
    const targetAbout = about('target-bigquery');
    expect(tap.capabilities).to.deep.equal(tapAbout);
    expect(target.capabilities).to.deep.equal(targetAbout);
    expect(
      tapAbout.every((c) => (MELTANO_CAPABILITIES.extractor as readonly string[]).includes(c)),
      `${tapAbout.join(', ')} are extractor capabilities`,
    ).to.equal(true);
    expect(
      targetAbout.every((c) => (MELTANO_CAPABILITIES.loader as readonly string[]).includes(c)),
      `${targetAbout.join(', ')} are loader capabilities`,
    ).to.equal(true);
    // Meltano's reference: declare catalog or properties, not both.
    expect(tapAbout.filter((c) => c === 'catalog' || c === 'properties')).to.deep.equal(['catalog']);
    // Help text only (its exit code is the CLI's business).
    const help = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js'), '--help'], { encoding: 'utf8' }).stdout;
    for (const flag of ['--config', '--discover', '--catalog', '--state', '--properties', '--about']) expect(help).to.include(flag);
    const targetHelp = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '--help'], { encoding: 'utf8' }).stdout;
    expect(targetHelp).to.include('--config');
  });

  it('is what deploy/meltano/hub.ts --write-meltano makes of it (settings and capabilities)', () => {
    const text = readFileSync(path.join(dir, 'meltano.yml'), 'utf8');
    expect(withMeltanoDefinitions(text)).to.equal(text);
  });

  it('has no deprecated top-level key (Meltano 4 warns on version: 1 at every command)', () => {
    expect(Object.keys(doc)).to.not.include('version');
  });

  it('ships Meltano Hub definitions identical to what deploy/meltano/hub.ts generates from the schemas', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'hub.ts'), '--check'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(r.status, r.stderr).to.equal(0);
    const hubTap = yaml.load(readFileSync(path.join(dir, 'hub', 'extractors', 'tap-facebook-ads', 'fb-ads-elt.yml'), 'utf8')) as MeltanoPlugin & { variant: string };
    const hubTarget = yaml.load(readFileSync(path.join(dir, 'hub', 'loaders', 'target-bigquery', 'fb-ads-elt.yml'), 'utf8')) as MeltanoPlugin;
    expect(hubTap.capabilities).to.deep.equal(capabilitiesOf('tap-facebook-ads'));
    expect(hubTarget.capabilities).to.deep.equal(capabilitiesOf('target-bigquery'));
    checkSettings(hubTap, 'spec.json');
    // The project file and the Hub definition agree on every setting's name, kind and secrecy.
    const shape = (p: MeltanoPlugin) => p.settings.map((x) => [x.name, x.kind, !!x.sensitive]);
    expect(shape(hubTap)).to.deep.equal(shape(tap));
  });

  it('has a dev environment on DuckDB and a prod environment on BigQuery', () => {
    const envs = JSON.stringify(doc.environments);
    expect(doc.environments.map((e) => e.name)).to.deep.equal(['dev', 'prod']);
    expect(envs).to.include('"destination":"duckdb"').and.include('"destination":"bigquery"');
  });
});

describe('deploy/airflow DAG example', () => {
  const file = path.join(DEPLOY, 'airflow', 'fb_ads_elt_dag.py');
  const text = readFileSync(file, 'utf8');

  it('is valid Python', function () {
    const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', file], { encoding: 'utf8' });
    if (r.error) {
      // No Python: at least the DAG's structure is there.
      expect(text).to.match(/with DAG\(/);
      return;
    }
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
  });

  it('runs fb-ads-elt sync with flags the CLI accepts, one run at a time', () => {
    const body = text.slice(text.indexOf('def sync('), text.indexOf('def dbt_build('));
    const argv = /argv = \[str\(FB_ADS_ELT\), "sync", ([^\]]*)\]/.exec(body)?.[1];
    expect(argv, 'the sync task builds its argv from FB_ADS_ELT').to.be.a('string');
    const flags = [...argv!.matchAll(/"(--[a-z-]+)"/g), ...body.matchAll(/argv \+= \["(--[a-z-]+)"/g), ...body.matchAll(/argv \+ \["(--[a-z-]+)"/g)].map((m) => m[1]!);
    checkFbAdsEltCommand([`${INSTALL_ROOT}/bin/fb-ads-elt.js sync`, ...flags].join(' '), (p) => path.join(REPO_ROOT, p.slice(INSTALL_ROOT.length + 1)));
    expect(text).to.match(/FB_ADS_ELT = FB_ADS_ELT_HOME \/ "bin" \/ "fb-ads-elt\.js"/);
    expect(text).to.match(/max_active_runs=1/);
  });

  /** Calls the DAG's dbt_settings(target, environ) with Python, without Airflow: the function alone, lifted out of the file. */
  function dbtSettings(target: Record<string, unknown>, environ: Record<string, string>): { target: string; env: Record<string, string>; vars: Record<string, unknown> } {
    const py = [
      'import ast, json, sys',
      'tree = ast.parse(open(sys.argv[1]).read())',
      'fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "dbt_settings")',
      'ns = {"DBT_TARGET_OVERRIDE": None}',
      'exec(compile(ast.Module(body=[fn], type_ignores=[]), sys.argv[1], "exec"), ns)',
      't, env, v = ns["dbt_settings"](json.loads(sys.argv[2]), json.loads(sys.argv[3]))',
      'print(json.dumps({"target": t, "env": env, "vars": v}))',
    ].join('\n');
    const r = spawnSync(venvExecutable('python'), ['-c', py, file, JSON.stringify(target), JSON.stringify(environ)], { encoding: 'utf8' });
    expect(r.stderr).to.equal('');
    return JSON.parse(r.stdout) as { target: string; env: Record<string, string>; vars: Record<string, unknown> };
  }

  it('builds the models with the project’s own dbt and a dbt target that dbt/profiles.yml defines', () => {
    expect(text).to.match(/DBT = FB_ADS_ELT_HOME \/ "\.venv" \/ "bin" \/ "dbt"/);
    expect(path.relative(REPO_ROOT, venvExecutable('dbt'))).to.equal(path.join('.venv', 'bin', 'dbt'));
    const profiles = yaml.load(readFileSync(path.join(REPO_ROOT, 'dbt', 'profiles.yml'), 'utf8')) as Record<string, { outputs: Record<string, { type: string }> }>;
    const project = yaml.load(readFileSync(path.join(REPO_ROOT, 'dbt', 'dbt_project.yml'), 'utf8')) as { profile: string };
    for (const destination of ['bigquery', 'duckdb']) {
      const s = dbtSettings({ destination, project_id: 'acme-ads-prod' }, {});
      expect(profiles[project.profile]?.outputs[s.target]?.type).to.equal(destination);
    }
    const body = text.slice(text.indexOf('def dbt_build('));
    expect(body).to.match(/"--target", dbt_target, "--vars", json\.dumps\(dbt_vars\)/);
  });

  it('points dbt at the project, dataset, location and key file target.json names, not at profiles.yml’s placeholders', () => {
    const target = { destination: 'bigquery', project_id: 'acme-ads-prod', dataset: 'meta_raw', location: 'EU', credentials_path: '/etc/fb-ads-elt/sa.json', history: false };
    const s = dbtSettings(target, { PATH: '/usr/bin' });
    expect(s.target).to.equal('bigquery');
    expect(s.env).to.include({ DBT_TARGET: 'bigquery', DBT_BIGQUERY_PROJECT: 'acme-ads-prod', DBT_BIGQUERY_LOCATION: 'EU', GOOGLE_APPLICATION_CREDENTIALS: '/etc/fb-ads-elt/sa.json', PATH: '/usr/bin' });
    expect(s.vars).to.deep.equal({ facebook_ads_schema: 'meta_raw', facebook_ads_database: 'acme-ads-prod', facebook_ads__using_history: false });
    // The worker's own settings win where they only say where dbt writes and how it signs in.
    const own = dbtSettings(target, { DBT_BIGQUERY_PROJECT: 'acme-analytics', GOOGLE_APPLICATION_CREDENTIALS: '/secrets/dbt.json' });
    expect(own.env).to.include({ DBT_BIGQUERY_PROJECT: 'acme-analytics', GOOGLE_APPLICATION_CREDENTIALS: '/secrets/dbt.json' });
    expect(own.vars['facebook_ads_database']).to.equal('acme-ads-prod');
    const duck = dbtSettings({ duckdb_path: '/var/lib/fb-ads-elt/warehouse.duckdb' }, {});
    expect(duck).to.deep.include({ target: 'duckdb', vars: { facebook_ads_schema: 'facebook_ads' } });
    expect(duck.env['DBT_DUCKDB_PATH']).to.equal('/var/lib/fb-ads-elt/warehouse.duckdb');
  });

  it('shards the streams so the account shards, which read the insights, also write insights_coverage (CAC counts only the days it lists), and the assets task only the asset streams', () => {
    const py = [
      'import ast, json, sys',
      'tree = ast.parse(open(sys.argv[1]).read())',
      'keep = [n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name == "split_streams") or (isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "RUN_LOG_STREAMS" for t in n.targets))]',
      'ns = {}',
      'exec(compile(ast.Module(body=keep, type_ignores=[]), sys.argv[1], "exec"), ns)',
      'print(json.dumps(ns["split_streams"](json.load(open(sys.argv[2]))["streams"])))',
    ].join('\n');
    const r = spawnSync(venvExecutable('python'), ['-c', py, file, path.join(REPO_ROOT, 'catalog.json')], { encoding: 'utf8' });
    expect(r.stderr).to.equal('');
    const [assets, perAccount] = JSON.parse(r.stdout) as [string[], string[]];
    expect(assets).to.deep.equal(['businesses', 'ad_accounts', 'pages', 'pixels', 'product_catalogs', 'sync_log']);
    expect(perAccount).to.include.members(['campaigns', 'insights_ad', 'insights_coverage', 'sync_log']);
    expect(perAccount).not.to.include.members(['ad_accounts']);
  });

  it('builds the models after the sync tasks exactly when a summary fb-ads-elt sync --json wrote says they are due, naming the stale accounts', async () => {
    const s = makeStandins();
    try {
      const summaryOf = async (env: Record<string, string>): Promise<unknown> => {
        const sink = new MemorySink();
        const r = await runSync({ tapConfigPath: s.tapConfig, targetConfigPath: s.targetConfig, log: new Logger({ component: 'fb-ads-elt', sink }), logSink: sink, tapCommand: s.tap, targetCommand: s.target, env: { ...process.env, ...env } });
        return JSON.parse(JSON.stringify(r.summary)) as unknown;
      };
      const partial = await summaryOf({ STANDIN_TAP_EXIT: '7', STANDIN_SUMMARY: '1', STANDIN_FAILED: '222' });
      const nothing = await summaryOf({ STANDIN_TAP_EXIT: '4', STANDIN_SUMMARY: '1', STANDIN_FAILED: '111,222' });
      const py = [
        'import ast, json, sys',
        'tree = ast.parse(open(sys.argv[1]).read())',
        'fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "models_due")',
        'ns = {}',
        'exec(compile(ast.Module(body=[fn], type_ignores=[]), sys.argv[1], "exec"), ns)',
        'print(json.dumps([ns["models_due"](c) for c in json.loads(sys.argv[2])]))',
      ].join('\n');
      const r = spawnSync(venvExecutable('python'), ['-c', py, file, JSON.stringify([partial, [nothing, partial], nothing, [nothing, null]])], { encoding: 'utf8' });
      expect(r.stderr).to.equal('');
      expect(JSON.parse(r.stdout)).to.deep.equal([
        [true, ['222']],
        [true, ['222']],
        [false, []],
        [false, []],
      ]);
    } finally {
      s.cleanup();
    }
  });

  it('retries exit 7 (and an exit 5 whose every failure is transient or throttled) and never imports a deprecated Airflow 2 module', () => {
    expect(text).to.not.match(/airflow\.operators|from airflow import DAG/);
    expect(text).to.match(/from airflow\.sdk import/);
    expect(text).to.match(/if code == EXIT_RETRY_LATER or \(code == EXIT_PARTIAL and only_transient_failures\(summary\)\):\n\s+raise AirflowException/);
    expect(text).to.match(/RETRY_KINDS = \{"transient", "throttled"\}/);
    expect(text).to.match(/EXIT_OK, EXIT_PARTIAL, EXIT_RETRY_LATER = 0, 5, 7/);
    expect(text).to.match(/default_args=\{"retries": 0\}/);
  });
});
