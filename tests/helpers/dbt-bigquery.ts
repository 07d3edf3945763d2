// Real `dbt compile --target bigquery` with no Google account: dbt-bigquery's client is pointed
// (profile `api_endpoint`) at the loopback BigQuery emulator, which answers the one introspection
// dbt makes (does the incremental model's table exist?), and a dummy OAuth token is never checked.
// The compiled SQL comes from target/manifest.json, models in DAG order, ephemerals inlined by dbt.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveDbt } from '../../connector/dbt/python-env.js';
import { DEFAULT_DBT_PROJECT } from '../../connector/dbt/run.js';
import type { CompiledForBigQuery } from './zetasql-models.js';

export const BQ_PROJECT = 'offline-project';
export const BQ_MODELS_DATASET = 'analytics';

interface ManifestNode {
  resource_type: string;
  name: string;
  database: string;
  schema: string;
  compiled_code?: string;
  test_metadata?: unknown;
  depends_on?: { nodes?: string[] };
  config: { materialized?: string; column_types?: Record<string, string> };
}

export interface BigQueryCompile extends CompiledForBigQuery {
  seeds: Array<{ name: string; schema: string; columnTypes: Record<string, string> }>;
  /** Singular tests, compiled. */
  tests: Array<{ name: string; sql: string }>;
  log: string;
}

/** Models in dependency order (parents first), ephemerals left out: dbt inlined them as CTEs. */
function dagOrder(nodes: Record<string, ManifestNode>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (id: string): void => {
    if (done.has(id) || !nodes[id]) return;
    done.add(id);
    for (const dep of nodes[id]!.depends_on?.nodes ?? []) visit(dep);
    order.push(id);
  };
  for (const id of Object.keys(nodes).sort()) visit(id);
  return order.filter((id) => nodes[id]!.resource_type === 'model' && nodes[id]!.config.materialized !== 'ephemeral' && nodes[id]!.compiled_code);
}

export async function compileForBigQuery(o: { emulatorUrl: string; projectDir?: string; select?: string[]; vars?: Record<string, unknown> }): Promise<BigQueryCompile> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'dbt-bq-compile-'));
  try {
    writeFileSync(
      path.join(work, 'profiles.yml'),
      [
        'fb_ads_elt:',
        '  target: bigquery',
        '  outputs:',
        '    bigquery:',
        '      type: bigquery',
        '      method: oauth-secrets',
        '      token: offline-compile-dummy',
        `      project: ${BQ_PROJECT}`,
        `      dataset: ${BQ_MODELS_DATASET}`,
        '      location: US',
        '      threads: 2',
        '      job_retries: 0',
        `      api_endpoint: ${o.emulatorUrl}`,
        '',
      ].join('\n'),
    );
    const target = path.join(work, 'target');
    const args = [
      'compile',
      '--project-dir',
      o.projectDir ?? DEFAULT_DBT_PROJECT,
      '--profiles-dir',
      work,
      '--target',
      'bigquery',
      '--target-path',
      target,
      '--log-path',
      path.join(work, 'logs'),
      '--no-populate-cache',
      ...(o.select ? ['--select', ...o.select] : []),
      ...(o.vars ? ['--vars', JSON.stringify(o.vars)] : []),
    ];
    // Asynchronous on purpose: the emulator answering dbt runs on this process's event loop.
    const child = spawn(resolveDbt(), args, { env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', METADATA_SERVER_DETECTION: 'none' } });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`dbt compile --target bigquery exited ${code}:\n${log.slice(-3000)}`);
    const manifest = JSON.parse(readFileSync(path.join(target, 'manifest.json'), 'utf8')) as { nodes: Record<string, ManifestNode> };
    const nodes = manifest.nodes;
    return {
      models: dagOrder(nodes).map((id) => ({ name: nodes[id]!.name, sql: nodes[id]!.compiled_code! })),
      target: { database: BQ_PROJECT, schema: BQ_MODELS_DATASET },
      seeds: Object.values(nodes)
        .filter((n) => n.resource_type === 'seed')
        .map((n) => ({ name: n.name, schema: n.schema, columnTypes: n.config.column_types ?? {} })),
      tests: Object.values(nodes)
        .filter((n) => n.resource_type === 'test' && !n.test_metadata && n.compiled_code)
        .map((n) => ({ name: n.name, sql: n.compiled_code! })),
      log,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
