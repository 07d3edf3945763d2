// Test harness: runs the real loader against either destination (DuckDB in a temp file, or BigQuery
// through the real client and the loopback emulator) and reads tables back in one shape, so every
// fixture test runs unchanged on both.
import type { Surface } from '../../../connector/core/surface.js';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BigQuery } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { BigQueryEmulator } from '../../helpers/bq-emulator.js';
import { BigQueryDestination } from '../../../connector/target/bigquery/destination.js';
import { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import type { Destination } from '../../../connector/target/destination.js';
import { Loader, type LoaderConfig, type LoadSummary } from '../../../connector/target/loader.js';
import { Logger } from '../../../connector/core/log.js';
import { asConnectorError, type ConnectorError } from '../../../connector/core/errors.js';
import { REPO_ROOT } from '../../../connector/core/config.js';
import type { WarehouseField } from '../../../connector/target/fields.js';
import type { ZetaSqlHarness } from '../../helpers/zetasql.js';

export type Kind = 'duckdb' | 'bigquery';
export const KINDS: Kind[] = ['duckdb', 'bigquery'];
export const DATASET = 'facebook_ads';
export const PROJECT = 'test-proj';

export const fixture = (name: string): string => path.join(REPO_ROOT, 'tests', 'fixtures', 'singer', `${name}.jsonl`);

export const DEFAULT_CONFIG: LoaderConfig = { batch_rows: 100000, batch_bytes: 100 * 1024 * 1024, batch_seconds: 300, history: true, validate_records: true };

/** A warehouse under test: the destination plus uniform read-back helpers. */
export interface Warehouse {
  kind: Kind;
  emulator: BigQueryEmulator | undefined;
  /** The DuckDB file (DuckDB warehouses only). */
  duckdbPath: string | undefined;
  /** Opens a fresh destination on the same storage (a re-run after a crash). */
  destination(): Promise<Destination>;
  rows(table: string, orderBy?: string[]): Promise<Record<string, unknown>[]>;
  tables(): Promise<string[]>;
  columns(table: string): Promise<WarehouseField[] | undefined>;
  /** The table's activated version as the destination reads it back from the warehouse. */
  activatedVersion(table: string): Promise<bigint | undefined>;
  /** Drops a table behind the target's back (a user's manual change). */
  dropTable(table: string): Promise<void>;
  close(): Promise<void>;
}

async function withDestination<T>(d: Destination, f: (d: Destination) => Promise<T>): Promise<T> {
  await d.open();
  try {
    return await f(d);
  } finally {
    await d.close();
  }
}

export interface RunResult {
  states: Record<string, unknown>[];
  summary: LoadSummary | undefined;
  error: ConnectorError | undefined;
}

export async function openWarehouse(kind: Kind, opts: { bigQueryRetries?: number; duckdbLoadPartBytes?: number; duckdbReattachRows?: number } = {}): Promise<Warehouse> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'target-test-'));
  const opened: Destination[] = [];
  if (kind === 'duckdb') {
    const file = path.join(dir, 'warehouse.duckdb');
    const reader = async (sql: string): Promise<Record<string, unknown>[]> => {
      const d = new DuckDbDestination({ path: file, dataset: DATASET });
      await d.open();
      try {
        return await d.query(sql);
      } finally {
        await d.close();
      }
    };
    return {
      kind,
      emulator: undefined,
      duckdbPath: file,
      async destination() {
        const d = new DuckDbDestination({ path: file, dataset: DATASET, ...(opts.duckdbLoadPartBytes ? { loadPartBytes: opts.duckdbLoadPartBytes } : {}), ...(opts.duckdbReattachRows ? { reattachRows: opts.duckdbReattachRows } : {}) });
        opened.push(d);
        return d;
      },
      rows: (table, orderBy = []) => reader(`SELECT * FROM "${DATASET}"."${table}"${orderBy.length ? ` ORDER BY ${orderBy.map((c) => `"${c}"`).join(', ')}` : ''}`),
      tables: async () => (await reader(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${DATASET}' ORDER BY 1`)).map((r) => String(r['table_name'])),
      async columns(table) {
        const d = new DuckDbDestination({ path: file, dataset: DATASET });
        await d.open();
        try {
          return await d.describe(table);
        } finally {
          await d.close();
        }
      },
      activatedVersion: (table) => withDestination(new DuckDbDestination({ path: file, dataset: DATASET }), (d) => d.activatedVersion(table)),
      async dropTable(table) {
        await reader(`DROP TABLE "${DATASET}"."${table}"`);
      },
      async close() {
        for (const d of opened) await d.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const emulator = new BigQueryEmulator(PROJECT);
  const url = await emulator.start();
  const bigQueryDestination = (): BigQueryDestination => {
    const client = new BigQuery({ projectId: PROJECT, location: 'US', apiEndpoint: url, authClient: new PassThroughClient(), ...(opts.bigQueryRetries === undefined ? {} : { retryOptions: { autoRetry: opts.bigQueryRetries > 0, maxRetries: opts.bigQueryRetries } }) });
    return new BigQueryDestination({ client, projectId: PROJECT, dataset: DATASET, location: 'US' });
  };
  return {
    kind,
    emulator,
    duckdbPath: undefined,
    destination: async () => bigQueryDestination(),
    rows: (table, orderBy = []) => emulator.rows(DATASET, table, orderBy),
    tables: async () =>
      [...emulator.tables.keys()]
        .filter((k) => k.startsWith(`${DATASET}.`))
        .map((k) => k.slice(DATASET.length + 1))
        .sort(),
    columns: async (table) => emulator.tables.get(`${DATASET}.${table}`)?.fields,
    activatedVersion: (table) => withDestination(bigQueryDestination(), (d) => d.activatedVersion(table)),
    async dropTable(table) {
      await emulator.dropTable(DATASET, table);
    },
    async close() {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the loader over a fixture file (or text) and collects emitted STATE values or the error. */
/** Loader options beyond its config (how batches are mapped), and a place to collect its log lines. */
export interface LoaderExtras {
  mapInlineBytes?: number;
  mapPartBytes?: number;
  logLines?: string[];
  surface?: Surface;
}

export async function runLoader(w: Warehouse, input: string | Readable, config: Partial<LoaderConfig> = {}, events?: string[], extras: LoaderExtras = {}): Promise<RunResult> {
  const destination = await w.destination();
  if (events) {
    const commit = destination.commitBatch.bind(destination);
    destination.commitBatch = async (t, b) => {
      await commit(t, b);
      events.push(`commit ${t.stream} ${b.rows}`);
    };
  }
  const states: Record<string, unknown>[] = [];
  const logLines = extras.logLines;
  const log = new Logger({
    component: 'target-test',
    level: logLines ? 'info' : 'error',
    sink: {
      write: (line: string) => {
        logLines?.push(line);
        return true;
      },
    },
  });
  try {
    await destination.open();
    const loader = new Loader({
      config: { ...DEFAULT_CONFIG, ...config },
      destination,
      log,
      ...(extras.mapInlineBytes !== undefined ? { mapInlineBytes: extras.mapInlineBytes } : {}),
      ...(extras.mapPartBytes !== undefined ? { mapPartBytes: extras.mapPartBytes } : {}),
      ...(extras.surface ? { surface: extras.surface } : {}),
      emitState: async (v) => {
        states.push(v);
        events?.push(`state ${JSON.stringify(v)}`);
      },
    });
    const stream = typeof input === 'string' ? (input.endsWith('.jsonl') ? createReadStream(input) : Readable.from([input])) : input;
    const summary = await loader.run(stream);
    return { states, summary, error: undefined };
  } catch (err) {
    return { states, summary: undefined, error: asConnectorError(err) };
  } finally {
    await destination.close();
  }
}

/** Checks every statement the BigQuery destination sent with ZetaSQL, against the tables it made. */
export async function assertStatementsAnalyze(w: Warehouse, z: ZetaSqlHarness): Promise<number> {
  const emu = w.emulator;
  if (!emu) return 0;
  await z.registerCatalog(
    [...emu.knownTables].map(([key, fields]) => {
      const [dataset, name] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
      return { project: PROJECT, dataset, name, fields };
    }),
  );
  const failures: string[] = [];
  for (const s of emu.statements) {
    const r = await z.analyze(s.sql);
    if (!r.ok) failures.push(`${r.error}\n  in: ${s.sql.slice(0, 300)}`);
  }
  if (failures.length) throw new Error(`ZetaSQL rejected ${failures.length} statement(s):\n${failures.join('\n')}`);
  return emu.statements.length;
}

/** Drops the per-run timing columns so two runs can be compared row for row. */
export function stable(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const { _sdc_received_at: _a, _sdc_batched_at: _b, _sdc_deleted_at: del, ...rest } = r;
    return { ...rest, deleted: del !== null && del !== undefined };
  });
}
