// Test harness for ZetaSQL (BigQuery's SQL analyzer): spawns the package's remote server binary as
// a child (stdio ignored, never the package's runServer, which writes to stdout and orphans the
// server), connects the gRPC client, and checks statements against a catalog of BigQuery tables.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LanguageOptions, ZetaSQLClient, TypeKind } from '@fivetrandevelopers/zetasql';
import { LanguageFeature } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageFeature.js';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto.js';
import type { SimpleCatalogProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleCatalogProto.js';
import type { SimpleTableProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleTableProto.js';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto.js';
import type { WarehouseField } from '../../connector/target/fields.js';

/** Values of zetasql's ProductMode / ErrorMessageMode enums (their .js files are CommonJS). */
const PRODUCT_EXTERNAL = 1;
const ERROR_MESSAGE_ONE_LINE = 1;

export interface CatalogTable {
  project?: string;
  dataset: string;
  name: string;
  fields: WarehouseField[];
}

export type AnalyzeResult = { ok: true } | { ok: false; error: string };

export interface ZetaSqlHarness {
  /** Replaces the catalog statements are analyzed against. */
  registerCatalog(tables: CatalogTable[]): Promise<void>;
  /** Analyzes one BigQuery statement; query parameters (@name) are allowed undeclared. */
  analyze(sql: string): Promise<AnalyzeResult>;
  /** Table paths a statement reads or writes, e.g. [["proj","ds","t"],["ds","t__stage"]]. */
  tableNames(sql: string): Promise<string[][]>;
  /** Stops the server when the last user stops (one server per test process). */
  stop(): Promise<void>;
}

const requireCjs = createRequire(import.meta.url);
function serverBinary(): string {
  const pkg = path.dirname(requireCjs.resolve('@fivetrandevelopers/zetasql/package.json'));
  const file = process.arch === 'arm64' ? 'remote_server_arm.so' : 'remote_server.so';
  return path.join(pkg, 'lib', 'zetasql', process.platform === 'darwin' ? file.replace('.so', '') : file);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`zetasql server exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`zetasql server did not open port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

function typeOf(f: WarehouseField): TypeProto {
  const base = ((): TypeProto => {
    switch (f.type) {
      case 'STRING':
        return { typeKind: TypeKind.TYPE_STRING };
      case 'INT64':
        return { typeKind: TypeKind.TYPE_INT64 };
      case 'FLOAT64':
        return { typeKind: TypeKind.TYPE_DOUBLE };
      case 'NUMERIC':
        return { typeKind: TypeKind.TYPE_NUMERIC };
      case 'BOOL':
        return { typeKind: TypeKind.TYPE_BOOL };
      case 'DATE':
        return { typeKind: TypeKind.TYPE_DATE };
      case 'TIMESTAMP':
        return { typeKind: TypeKind.TYPE_TIMESTAMP };
      case 'JSON':
        return { typeKind: TypeKind.TYPE_JSON };
      case 'RECORD':
        return { typeKind: TypeKind.TYPE_STRUCT, structType: { field: (f.fields ?? []).map((c) => ({ fieldName: c.name, fieldType: typeOf({ ...c, mode: c.mode }) })) } };
    }
  })();
  return f.mode === 'REPEATED' ? { typeKind: TypeKind.TYPE_ARRAY, arrayType: { elementType: base } } : base;
}

interface Shared {
  child: ChildProcess;
  users: number;
  languageOptions: LanguageOptionsProto;
}
let shared: Promise<Shared> | undefined;

async function startShared(): Promise<Shared> {
  const port = await freePort();
  const child = spawn(serverBinary(), ['localhost', String(port)], { stdio: 'ignore' });
  const kill = (): void => {
    if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
  await waitForPort(port, child);
  ZetaSQLClient.init(port);
  if (!(await ZetaSQLClient.getInstance().testConnection())) throw new Error('zetasql server is not answering');
  const lo = await new LanguageOptions().enableMaximumLanguageFeatures();
  // BigQuery DDL the "maximum" set leaves out (still flagged in development in this ZetaSQL build).
  lo.enableLanguageFeature(LanguageFeature.FEATURE_ALTER_COLUMN_SET_DATA_TYPE);
  lo.enableLanguageFeature(LanguageFeature.FEATURE_ALTER_TABLE_RENAME_COLUMN);
  // BigQuery's type names and rules (INT64/FLOAT64; no INT32, UINT or PROTO), all statement kinds.
  lo.options.productMode = PRODUCT_EXTERNAL;
  lo.options.supportedStatementKinds = [];
  return { child, users: 0, languageOptions: lo.serialize() };
}

/** Starts (or joins) the per-process ZetaSQL server. Call `stop()` in an `after()` hook. */
export async function startZetaSql(): Promise<ZetaSqlHarness> {
  shared ??= startShared();
  let s: Shared;
  try {
    s = await shared;
  } catch (err) {
    shared = undefined;
    throw err;
  }
  s.users++;
  const client = ZetaSQLClient.getInstance();
  let catalogId: number | undefined;
  let stopped = false;

  const options = (): Record<string, unknown> => ({ languageOptions: s.languageOptions, errorMessageMode: ERROR_MESSAGE_ONE_LINE, allowUndeclaredParameters: true });

  return {
    async registerCatalog(tables) {
      if (catalogId !== undefined) await client.unRegisterCatalog({ registeredId: catalogId }).catch(() => undefined);
      const datasets = new Map<string, SimpleTableProto[]>();
      const projects = new Map<string, Map<string, SimpleTableProto[]>>();
      const dotted: SimpleTableProto[] = [];
      for (const t of tables) {
        const table: SimpleTableProto = { name: t.name, column: t.fields.map((f) => ({ name: f.name, type: typeOf(f) })) };
        if (!datasets.has(t.dataset)) datasets.set(t.dataset, []);
        datasets.get(t.dataset)!.push(table);
        if (t.project) {
          if (!projects.has(t.project)) projects.set(t.project, new Map());
          const p = projects.get(t.project)!;
          if (!p.has(t.dataset)) p.set(t.dataset, []);
          p.get(t.dataset)!.push(table);
          // A single back-quoted `proj.ds.t` is one identifier: register it under the whole path too.
          dotted.push({ ...table, name: `${t.project}.${t.dataset}.${t.name}` });
        }
        dotted.push({ ...table, name: `${t.dataset}.${t.name}` });
      }
      const simpleCatalog: SimpleCatalogProto = {
        name: 'root',
        table: dotted,
        catalog: [...[...projects].map(([project, ds]) => ({ name: project, catalog: [...ds].map(([name, table]) => ({ name, table })) })), ...[...datasets].map(([name, table]) => ({ name, table }))],
        builtinFunctionOptions: { languageOptions: s.languageOptions },
      };
      const res = await client.registerCatalog({ simpleCatalog });
      catalogId = Number(res?.registeredId);
    },

    async analyze(sql) {
      if (catalogId === undefined) throw new Error('registerCatalog() first');
      try {
        await client.analyze({ sqlStatement: sql, registeredCatalogId: catalogId, options: options() });
        return { ok: true };
      } catch (err) {
        const e = err as { details?: string; message?: string };
        return { ok: false, error: e.details ?? e.message ?? String(err) };
      }
    },

    async tableNames(sql) {
      const res = await client.extractTableNamesFromStatement({ sqlStatement: sql, options: s.languageOptions });
      return (res?.tableName ?? []).map((t) => t.tableNameSegment);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (catalogId !== undefined) await client.unRegisterCatalog({ registeredId: catalogId }).catch(() => undefined);
      s.users--;
      if (s.users === 0) {
        shared = undefined;
        if (s.child.exitCode === null) {
          const exited = new Promise((r) => s.child.once('exit', r));
          s.child.kill('SIGKILL');
          await exited;
        }
      }
    },
  };
}
