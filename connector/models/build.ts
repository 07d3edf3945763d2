// `dbt build` for DuckDB: seeds, then models in DAG order (view/table/incremental/ephemeral),
// then generic, singular and unit tests. Also `dbt compile` for any target (BigQuery included).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { diffRows, fixtureRows, fixtureSql, genericTestRefs, genericTestSql, type ColumnType } from './data-tests.js';
import { compileModel, ephemeralCtesFor, parseModels, rendererFor, selectModels, topoOrder, type CompiledModel, type ParsedModel } from './graph.js';
import { loadProject, type DbtProject, type GenericTest, type UnitTest } from './project.js';
import { injectCtes, quoteRelation, type Renderer } from './render.js';
import { readSeed, sqlString } from './seeds.js';

export interface BuildOptions {
  projectDir: string;
  /** DuckDB file the raw tables live in; models, seeds and tests use it too. Default: the profile's path. */
  duckdbPath?: string;
  /** An open connection instead of a path (tests, the pipeline). Not closed by the build. */
  connection?: DuckDBConnection;
  target?: string;
  vars?: Record<string, unknown>;
  select?: string[];
  fullRefresh?: boolean;
  /** Skip data/unit tests (dbt run instead of dbt build). */
  skipTests?: boolean;
  log?: Logger;
}

export type NodeStatus = 'success' | 'error' | 'skipped';

export interface NodeResult {
  name: string;
  resource: 'seed' | 'model';
  materialized: string;
  relation?: string;
  status: NodeStatus;
  error?: string;
  /** Rows in the relation after the build (tables, incrementals, seeds). */
  rows?: number;
  ms: number;
}

export interface TestFailure {
  name: string;
  kind: 'generic' | 'singular' | 'unit';
  /** Number of failing rows; 0 when the test could not run (see message). */
  failures: number;
  message: string;
}

export interface BuildResult {
  ok: boolean;
  seeds: NodeResult[];
  models: NodeResult[];
  tests: { passed: number; failed: TestFailure[]; warned: TestFailure[]; passedNames: string[] };
}

async function readAll(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJson() as Record<string, unknown>[];
}

async function relationKind(conn: DuckDBConnection, schema: string, name: string): Promise<'VIEW' | 'BASE TABLE' | undefined> {
  const rows = await readAll(
    conn,
    `select table_type from information_schema.tables where table_schema = ${sqlString(schema)} and table_name = ${sqlString(name)} and table_catalog = current_database()`,
  );
  const t = rows[0]?.['table_type'];
  return t === 'VIEW' || t === 'BASE TABLE' ? t : undefined;
}

async function describe(conn: DuckDBConnection, relation: string): Promise<ColumnType[]> {
  const rows = await readAll(conn, `describe select * from ${relation}`);
  return rows.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 6).join(' ').replace(/\s+/g, ' ').trim();
}

/** Materialises one compiled model in DuckDB; returns the row count for tables. */
async function materialise(conn: DuckDBConnection, m: CompiledModel, schema: string, identifier: string, incremental: boolean): Promise<number | undefined> {
  const rel = quoteRelation('duckdb', { schema, identifier });
  const existing = await relationKind(conn, schema, identifier);
  if (m.materialized === 'view') {
    if (existing === 'BASE TABLE') await conn.run(`drop table ${rel}`);
    await conn.run(`create or replace view ${rel} as\n${m.sql}`);
    return undefined;
  }
  if (existing === 'VIEW') await conn.run(`drop view ${rel}`);
  if (m.materialized === 'table' || !incremental) {
    await conn.run(`create or replace table ${rel} as\n${m.sql}`);
  } else {
    // Incremental: stage the new slice, delete the rows it replaces (by unique_key), insert it.
    const tmp = `"${identifier}__dbt_tmp"`;
    await conn.run(`create or replace temp table ${tmp} as\n${m.sql}`);
    const key = m.config['unique_key'];
    const keys = (Array.isArray(key) ? key : key === undefined ? [] : [key]).map(String);
    if (keys.length > 0) {
      const on = keys.map((k) => `${rel}."${k}" is not distinct from s."${k}"`).join(' and ');
      await conn.run(`delete from ${rel} using ${tmp} as s where ${on}`);
    }
    await conn.run(`insert into ${rel} by name select * from ${tmp}`);
    await conn.run(`drop table ${tmp}`);
  }
  const count = await readAll(conn, `select count(*)::bigint as n from ${rel}`);
  return Number(count[0]?.['n'] ?? 0);
}

interface Context {
  project: DbtProject;
  parsed: Map<string, ParsedModel>;
  renderer: Renderer;
  conn: DuckDBConnection;
  log: Logger | undefined;
}

/** Loads the seeds; with a selection, only those the selected models read (as `dbt build -s +m` would). */
async function loadSeeds(ctx: Context, results: NodeResult[], selected: Set<string> | undefined): Promise<void> {
  const { project, conn, renderer } = ctx;
  const wanted = selected ? new Set([...selected].flatMap((m) => ctx.parsed.get(m)?.refs ?? [])) : undefined;
  for (const seed of project.seeds.values()) {
    if (wanted && !wanted.has(seed.name)) continue;
    const t0 = Date.now();
    const relation = renderer.modelRelation(seed.name, seed.config);
    const rel = quoteRelation('duckdb', relation);
    try {
      const table = readSeed(join(project.dir, seed.path), (seed.config['column_types'] ?? {}) as Record<string, unknown>);
      await conn.run(`create schema if not exists "${relation.schema}"`);
      await conn.run('begin transaction');
      await conn.run(`create or replace table ${rel} (${table.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
      for (let i = 0; i < table.rows.length; i += 500) {
        const chunk = table.rows.slice(i, i + 500);
        const values = chunk.map((r) => `(${r.map((v) => (v === null ? 'null' : sqlString(v))).join(', ')})`).join(',\n');
        const cols = table.columns.map((c, j) => `cast(v.c${j} as ${c.type}) as "${c.name}"`).join(', ');
        await conn.run(`insert into ${rel} select ${cols} from (values ${values}) as v(${table.columns.map((_c, j) => `c${j}`).join(', ')})`);
      }
      await conn.run('commit');
      results.push({ name: seed.name, resource: 'seed', materialized: 'seed', relation: rel, status: 'success', rows: table.rows.length, ms: Date.now() - t0 });
      ctx.log?.progress('seed loaded', { seed: seed.name, rows: table.rows.length });
    } catch (err) {
      await conn.run('rollback').catch(() => undefined);
      results.push({ name: seed.name, resource: 'seed', materialized: 'seed', relation: rel, status: 'error', error: errorText(err), ms: Date.now() - t0 });
      ctx.log?.error('seed failed', { seed: seed.name, error: errorText(err) });
    }
  }
}

async function runModels(ctx: Context, selected: Set<string>, fullRefresh: boolean, seedResults: NodeResult[]): Promise<NodeResult[]> {
  const { project, parsed, renderer, conn } = ctx;
  const results: NodeResult[] = [];
  const failed = new Set<string>(seedResults.filter((s) => s.status !== 'success').map((s) => s.name));
  for (const name of topoOrder(parsed)) {
    if (!selected.has(name)) continue;
    const node = parsed.get(name)!;
    const t0 = Date.now();
    const blocked = node.refs.find((r) => failed.has(r));
    if (blocked) {
      failed.add(name);
      results.push({ name, resource: 'model', materialized: node.materialized, status: 'skipped', error: `upstream ${blocked} failed`, ms: 0 });
      continue;
    }
    try {
      const relation = renderer.modelRelation(name, node.config);
      const existing = await relationKind(conn, relation.schema, relation.identifier);
      const incremental = node.materialized === 'incremental' && existing === 'BASE TABLE' && !fullRefresh;
      const compiled = compileModel(project, renderer, parsed, name, { isIncremental: incremental });
      if (node.materialized === 'ephemeral') {
        // Nothing to create, but the SQL must bind: catch a broken ephemeral here, named, not in its consumers.
        await conn.run(`describe ${compiled.sql}`);
        results.push({ name, resource: 'model', materialized: 'ephemeral', status: 'success', ms: Date.now() - t0 });
        continue;
      }
      await conn.run(`create schema if not exists "${relation.schema}"`);
      // One transaction per model: a file-backed DuckDB syncs once per commit, not per statement,
      // and a failure leaves the previous version of the relation in place.
      await conn.run('begin transaction');
      const rows = await materialise(conn, compiled, relation.schema, relation.identifier, incremental);
      await conn.run('commit');
      results.push({
        name,
        resource: 'model',
        materialized: node.materialized,
        relation: compiled.relation ?? '',
        status: 'success',
        ms: Date.now() - t0,
        ...(rows !== undefined ? { rows } : {}),
      });
      ctx.log?.progress('model built', { model: name, materialized: node.materialized, incremental, rows, ms: Date.now() - t0 });
    } catch (err) {
      await conn.run('rollback').catch(() => undefined);
      failed.add(name);
      results.push({ name, resource: 'model', materialized: node.materialized, status: 'error', error: `${node.path}: ${errorText(err)}`, ms: Date.now() - t0 });
      ctx.log?.error('model failed', { model: name, path: node.path, error: errorText(err) });
    }
  }
  return results;
}

async function countFailures(conn: DuckDBConnection, sql: string): Promise<number> {
  const rows = await readAll(conn, `select count(*)::bigint as failures from (\n${sql}\n) as dbt_test`);
  return Number(rows[0]?.['failures'] ?? 0);
}

async function runGenericTest(ctx: Context, test: GenericTest): Promise<number> {
  let relation: string;
  if (test.attachedTo.startsWith('source:')) relation = quoteRelation('duckdb', ctx.renderer.sourceRelation(test.attachedTo.slice(7)));
  else {
    const node = ctx.project.models.get(test.attachedTo) ?? ctx.project.seeds.get(test.attachedTo);
    const mat = ctx.parsed.get(test.attachedTo)?.materialized;
    if (!node) throw new ConfigError(`data test ${test.name} is attached to unknown node ${test.attachedTo}`);
    relation =
      mat === 'ephemeral'
        ? `(${compileModel(ctx.project, ctx.renderer, ctx.parsed, test.attachedTo).sql})`
        : quoteRelation('duckdb', ctx.renderer.modelRelation(test.attachedTo, ctx.parsed.get(test.attachedTo)?.config ?? node.config));
  }
  return countFailures(ctx.conn, genericTestSql(test, relation, ctx.renderer));
}

async function runUnitTest(ctx: Context, ut: UnitTest): Promise<string | undefined> {
  const { project, parsed, renderer, conn } = ctx;
  const where = `unit test ${ut.name}`;
  if (!parsed.has(ut.model)) throw new ConfigError(`${where}: model ${ut.model} not found`);
  const refOverrides = new Map<string, string>();
  const sourceOverrides = new Map<string, string>();
  const ctes: Array<[string, string]> = [];
  for (const [i, g] of ut.given.entries()) {
    const ref = /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(g.input);
    const src = /^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(g.input);
    if (!ref && !src) throw new ConfigError(`${where}: given[${i}] input ${g.input} is not ref('…') or source('…', '…')`);
    let relation: string;
    let cte: string;
    if (ref) {
      const dep = ref[1]!;
      cte = `__dbt__unit__${dep}`;
      const upstream = parsed.get(dep);
      relation =
        upstream?.materialized === 'ephemeral'
          ? `(${compileModel(project, renderer, parsed, dep).sql}) as e`
          : quoteRelation('duckdb', renderer.modelRelation(dep, upstream?.config ?? project.seeds.get(dep)?.config ?? {}));
      refOverrides.set(dep, cte);
    } else {
      const key = `${src![1]}.${src![2]}`;
      cte = `__dbt__unit__source__${key.replace(/\W/g, '_')}`;
      relation = quoteRelation('duckdb', renderer.sourceRelation(key));
      sourceOverrides.set(key, cte);
    }
    const columns = g.format === 'sql' ? [] : await describe(conn, relation);
    ctes.push([cte, fixtureSql(g, columns, `${where} given ${g.input}`)]);
  }
  const vars = { ...ut.vars };
  const compiled = compileModel(project, renderer, parsed, ut.model, { vars, refOverrides, sourceOverrides });
  const sql = injectCtes(compiled.sql, ctes);
  const actual = await readAll(conn, sql);
  const expected = fixtureRows(ut.expect, `${where} expect`);
  const columns = [...new Set(expected.flatMap((r) => Object.keys(r)))];
  const outCols = new Set((await describe(conn, `(${sql}) as u`)).map((c) => c.name.toLowerCase()));
  const unknown = columns.filter((c) => !outCols.has(c.toLowerCase()));
  if (unknown.length > 0) return `expected column(s) ${unknown.join(', ')} not in the model's output`;
  return diffRows(expected, actual, columns);
}

async function runTests(ctx: Context, built: Set<string>, broken: Set<string>, selected: Set<string>, result: BuildResult['tests']): Promise<void> {
  const record = async (name: string, kind: TestFailure['kind'], severity: 'error' | 'warn', run: () => Promise<{ failures: number; message?: string }>) => {
    try {
      const { failures, message } = await run();
      if (failures === 0 && message === undefined) {
        result.passed++;
        result.passedNames.push(name);
        return;
      }
      const f: TestFailure = { name, kind, failures, message: message ?? `${failures} failing row(s)` };
      (severity === 'warn' ? result.warned : result.failed).push(f);
      ctx.log?.[severity === 'warn' ? 'warn' : 'error']('data test failed', { test: name, kind, failures, message: f.message });
    } catch (err) {
      result.failed.push({ name, kind, failures: 0, message: `could not run: ${errorText(err)}` });
      ctx.log?.error('data test errored', { test: name, kind, error: errorText(err) });
    }
  };
  // Nodes outside this run are assumed built earlier (dbt's rule); nodes that failed now are not.
  const available = (n: string) => !broken.has(n);
  const sourcesRead = new Set([...selected].flatMap((m) => ctx.parsed.get(m)?.sources ?? []));
  for (const test of ctx.project.genericTests) {
    const owner = test.attachedTo;
    if (owner.startsWith('source:') && !sourcesRead.has(owner.slice(7))) continue;
    if (!owner.startsWith('source:') && !(selected.has(owner) || built.has(owner))) continue;
    if (!owner.startsWith('source:') && !available(owner) && ctx.parsed.get(owner)?.materialized !== 'ephemeral') continue;
    if (!genericTestRefs(test).every((r) => available(r))) continue;
    await record(test.name, 'generic', test.severity, async () => ({ failures: await runGenericTest(ctx, test) }));
  }
  for (const test of ctx.project.singularTests) {
    const r = ctx.renderer.render({ nodeName: test.name, rawSql: test.rawSql });
    if (!r.refs.every((n) => available(n))) continue;
    if (r.refs.length > 0 && !r.refs.some((n) => selected.has(n))) continue;
    const sql = injectCtes(r.sql, ephemeralCtesFor(ctx.project, ctx.renderer, ctx.parsed, r.refs));
    const severity = r.config['severity'] === 'warn' ? 'warn' : 'error';
    await record(test.name, 'singular', severity, async () => ({ failures: await countFailures(ctx.conn, sql) }));
  }
  for (const ut of ctx.project.unitTests) {
    if (!selected.has(ut.model)) continue;
    if (!(ctx.parsed.get(ut.model)?.refs ?? []).every((n) => available(n))) continue;
    await record(ut.name, 'unit', 'error', async () => {
      const diff = await runUnitTest(ctx, ut);
      return diff === undefined ? { failures: 0 } : { failures: 1, message: `rows differ:\n${diff}` };
    });
  }
}

/** Builds the project on DuckDB (dbt build semantics) and reports every node and test. */
export async function buildProject(opts: BuildOptions): Promise<BuildResult> {
  const project = loadProject({ projectDir: opts.projectDir, target: opts.target ?? 'duckdb', ...(opts.vars ? { vars: opts.vars } : {}) });
  if (project.target.type !== 'duckdb') {
    throw new ConfigError(`this runner executes models on DuckDB only (target ${project.target.name} is ${project.target.type})`, {
      hint: 'Use `models compile --target bigquery` here, and run `dbt build --target bigquery` where dbt is installed.',
    });
  }
  const parsed = parseModels(project);
  const selected = selectModels(parsed, opts.select);
  const renderer = rendererFor(project, parsed);
  let instance: DuckDBInstance | undefined;
  let conn = opts.connection;
  if (!conn) {
    const path = opts.duckdbPath ?? project.target.path ?? 'warehouse.duckdb';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    instance = await DuckDBInstance.create(path);
    conn = await instance.connect();
  }
  const ctx: Context = { project, parsed, renderer, conn, log: opts.log };
  try {
    // Naive timestamps cast to TIMESTAMPTZ must not depend on the machine's zone (BigQuery is UTC).
    await conn.run("set TimeZone = 'UTC'");
    const seeds: NodeResult[] = [];
    await loadSeeds(ctx, seeds, opts.select && opts.select.length > 0 ? selected : undefined);
    const models = await runModels(ctx, selected, opts.fullRefresh === true, seeds);
    const tests: BuildResult['tests'] = { passed: 0, failed: [], warned: [], passedNames: [] };
    if (!opts.skipTests) {
      const built = new Set([...seeds, ...models].filter((m) => m.status === 'success').map((m) => m.name));
      const broken = new Set([...seeds, ...models].filter((m) => m.status !== 'success').map((m) => m.name));
      await runTests(ctx, built, broken, selected, tests);
    }
    const ok = seeds.every((s) => s.status === 'success') && models.every((m) => m.status === 'success') && tests.failed.length === 0;
    opts.log?.info('models build finished', {
      ok,
      models: models.length,
      model_errors: models.filter((m) => m.status !== 'success').map((m) => m.name),
      tests_passed: tests.passed,
      tests_failed: tests.failed.map((t) => t.name),
    });
    return { ok, seeds, models, tests };
  } finally {
    if (instance) {
      conn.closeSync();
      instance.closeSync();
    }
  }
}

export interface CompileOptions {
  projectDir: string;
  target?: string;
  vars?: Record<string, unknown>;
  select?: string[];
  /** Render incremental models' incremental branch (is_incremental() true). */
  incremental?: boolean;
  /** Write each model's SQL under this directory (dbt: target/compiled/<project>/…). */
  outDir?: string;
}

export interface CompileResult {
  target: { name: string; type: string; database?: string; schema: string };
  /** Every non-ephemeral model in dependency order; ephemerals are inlined into their consumers. */
  models: CompiledModel[];
  /** Source relations the project reads, keyed `source.table`. */
  sources: Map<string, { database?: string; schema: string; identifier: string }>;
  /** Seeds with their relation and configured column types. */
  seeds: Array<{ name: string; path: string; relation: { database?: string; schema: string; identifier: string }; columnTypes: Record<string, unknown> }>;
  /** Singular data tests rendered for the target (ephemeral refs inlined). */
  tests: Array<{ name: string; path: string; sql: string }>;
}

/** dbt compile: renders each model for the target's adapter (dispatch picks `<adapter>__` macros). */
export function compileProject(opts: CompileOptions): CompileResult {
  const project = loadProject({ projectDir: opts.projectDir, ...(opts.target ? { target: opts.target } : {}), ...(opts.vars ? { vars: opts.vars } : {}) });
  const parsed = parseModels(project);
  const selected = selectModels(parsed, opts.select);
  const renderer = rendererFor(project, parsed);
  const models: CompiledModel[] = [];
  for (const name of topoOrder(parsed)) {
    const node = parsed.get(name)!;
    if (!selected.has(name) || node.materialized === 'ephemeral') continue;
    const compiled = compileModel(project, renderer, parsed, name, { isIncremental: opts.incremental === true && node.materialized === 'incremental' });
    models.push(compiled);
    if (opts.outDir) {
      const file = join(opts.outDir, project.name, compiled.path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, compiled.sql + '\n');
    }
  }
  const sources = new Map<string, { database?: string; schema: string; identifier: string }>();
  for (const key of project.sources.keys()) sources.set(key, renderer.sourceRelation(key));
  const seeds = [...project.seeds.values()].map((s) => ({ name: s.name, path: s.path, relation: renderer.modelRelation(s.name, s.config), columnTypes: (s.config['column_types'] ?? {}) as Record<string, unknown> }));
  const tests = project.singularTests.map((test) => {
    const r = renderer.render({ nodeName: test.name, rawSql: test.rawSql });
    return { name: test.name, path: test.path, sql: injectCtes(r.sql, ephemeralCtesFor(project, renderer, parsed, r.refs)) };
  });
  const t = project.target;
  return { target: { name: t.name, type: t.type, schema: t.schema, ...(t.database ? { database: t.database } : {}) }, models, sources, seeds, tests };
}
