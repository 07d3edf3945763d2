// A loopback BigQuery emulator for tests: the real @google-cloud/bigquery client talks to it over
// HTTP (datasets, tables.get/insert/patch/delete, multipart load jobs, query jobs with polling).
// It really applies what it is sent: tables live in an in-memory DuckDB, load files are read with
// read_json and explicit column types, and the small set of statements the target emits (MERGE,
// INSERT … SELECT, UPDATE, ALTER … SET DATA TYPE) are translated from BigQuery to DuckDB SQL
// (backtick paths → schema-qualified names, @params → typed $params). Every request and every
// statement is recorded so tests can prove nothing outside the target dataset was touched.
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { WarehouseField } from '../../connector/target/fields.js';
import { duckType, readJsonColumns } from '../../connector/target/duckdb/types.js';

export interface RecordedRequest {
  method: string;
  path: string;
}
export interface RecordedStatement {
  sql: string;
  params: Record<string, unknown>;
  ok: boolean;
  error?: string;
}

interface TableMeta {
  fields: WarehouseField[];
  labels?: Record<string, string>;
  timePartitioning?: unknown;
  clustering?: unknown;
  expirationTime?: string;
}
interface JobState {
  resource: Record<string, unknown>;
  polls: number;
  error?: { reason: string; message: string };
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export class BigQueryEmulator {
  readonly requests: RecordedRequest[] = [];
  readonly statements: RecordedStatement[] = [];
  /** Tables by "dataset.table". */
  readonly tables = new Map<string, TableMeta>();
  readonly datasets = new Set<string>();
  /** Last schema of every table that ever existed (staging tables are deleted after each MERGE). */
  readonly knownTables = new Map<string, WarehouseField[]>();
  private readonly jobs = new Map<string, JobState>();
  private server: http.Server | undefined;
  private db: DuckDBInstance | undefined;
  private conn: DuckDBConnection | undefined;
  private tmp: string | undefined;
  /** Fails the next N query jobs whose SQL matches (tests of error paths). */
  private failures: { match: RegExp; message: string; reason: string }[] = [];
  url = '';

  constructor(readonly projectId = 'test-proj') {}

  async start(): Promise<string> {
    this.tmp = mkdtempSync(path.join(os.tmpdir(), 'bq-emulator-'));
    this.db = await DuckDBInstance.create(':memory:');
    this.conn = await this.db.connect();
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.send(res, 500, { error: { code: 500, message: String((err as Error)?.message ?? err), errors: [{ reason: 'internalError', message: String(err) }] } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    if (!addr || typeof addr !== 'object') throw new Error('emulator did not bind');
    this.url = `http://127.0.0.1:${addr.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections?.();
    this.server = undefined;
    this.conn?.closeSync();
    this.db?.closeSync();
    this.conn = undefined;
    this.db = undefined;
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }

  /** Drops a table as a user would in the console (tests of manual changes). */
  async dropTable(dataset: string, table: string): Promise<void> {
    this.tables.delete(`${dataset}.${table}`);
    await this.c.run(`DROP TABLE ${quoteIdent(dataset)}.${quoteIdent(table)}`);
  }

  failNextQuery(match: RegExp, message = 'injected failure', reason = 'invalidQuery'): void {
    this.failures.push({ match, message, reason });
  }

  /** Runs DuckDB SQL directly against the emulator's storage (assertions in tests). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  }

  /** Rows of a table, ordered by the given columns, as JSON-friendly values. */
  async rows(dataset: string, table: string, orderBy: string[] = []): Promise<Record<string, unknown>[]> {
    const order = orderBy.length ? ` ORDER BY ${orderBy.map(quoteIdent).join(', ')}` : '';
    return this.query(`SELECT * FROM ${quoteIdent(dataset)}.${quoteIdent(table)}${order}`);
  }

  private get c(): DuckDBConnection {
    if (!this.conn) throw new Error('emulator not started');
    return this.conn;
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private notFound(res: http.ServerResponse, what: string): void {
    this.send(res, 404, { error: { code: 404, message: `Not found: ${what}`, errors: [{ reason: 'notFound', message: `Not found: ${what}` }] } });
  }

  private async body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname });
    const upload = url.pathname.startsWith('/upload/');
    // With BIGQUERY_EMULATOR_HOST the client drops the /bigquery/v2 prefix; accept both forms.
    const p = url.pathname.replace(/^\/upload/, '').replace(/^\/bigquery\/v2/, '');
    const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'projects' || parts[1] === undefined) return this.notFound(res, p);
    if (parts[1] !== this.projectId) return this.notFound(res, `Project ${parts[1]}`);
    const rest = parts.slice(2);

    if (rest[0] === 'datasets') {
      const ds = rest[1];
      if (rest.length === 1 && method === 'POST') {
        const body = JSON.parse((await this.body(req)).toString('utf8')) as { datasetReference?: { datasetId?: string } };
        const id = body.datasetReference?.datasetId ?? '';
        if (this.datasets.has(id)) return this.send(res, 409, { error: { code: 409, message: `Already Exists: Dataset ${this.projectId}:${id}`, errors: [{ reason: 'duplicate' }] } });
        this.datasets.add(id);
        await this.c.run(`CREATE SCHEMA ${quoteIdent(id)}`);
        return this.send(res, 200, this.datasetResource(id));
      }
      if (ds === undefined || !this.datasets.has(ds)) return this.notFound(res, `Dataset ${this.projectId}:${ds ?? ''}`);
      if (rest.length === 2 && method === 'GET') return this.send(res, 200, this.datasetResource(ds));
      if (rest[2] === 'tables') return this.handleTables(req, res, method, ds, rest.slice(3));
      return this.notFound(res, p);
    }
    if (rest[0] === 'jobs') {
      if (rest.length === 1 && method === 'POST') return upload ? this.handleLoad(req, res) : this.handleQueryJob(req, res);
      const job = this.jobs.get(rest[1] ?? '');
      if (!job) return this.notFound(res, `Job ${rest[1] ?? ''}`);
      if (method === 'GET') {
        job.polls++;
        return this.send(res, 200, this.jobResource(job, true));
      }
    }
    if (rest[0] === 'queries' && rest[1] && method === 'GET') {
      const job = this.jobs.get(rest[1]);
      if (!job) return this.notFound(res, `Job ${rest[1]}`);
      if (job.error) return this.send(res, 400, { error: { code: 400, message: job.error.message, errors: [job.error] } });
      return this.send(res, 200, { kind: 'bigquery#getQueryResultsResponse', jobReference: job.resource['jobReference'], jobComplete: true, totalRows: '0', rows: [], schema: { fields: [] } });
    }
    return this.notFound(res, p);
  }

  private datasetResource(id: string): Record<string, unknown> {
    return { kind: 'bigquery#dataset', id: `${this.projectId}:${id}`, datasetReference: { projectId: this.projectId, datasetId: id }, location: 'US' };
  }

  private tableResource(ds: string, t: string, meta: TableMeta): Record<string, unknown> {
    return {
      kind: 'bigquery#table',
      id: `${this.projectId}:${ds}.${t}`,
      tableReference: { projectId: this.projectId, datasetId: ds, tableId: t },
      schema: { fields: meta.fields },
      ...(meta.timePartitioning ? { timePartitioning: meta.timePartitioning } : {}),
      ...(meta.clustering ? { clustering: meta.clustering } : {}),
      ...(meta.labels ? { labels: meta.labels } : {}),
      type: 'TABLE',
    };
  }

  private async createDuckTable(ds: string, t: string, fields: WarehouseField[]): Promise<void> {
    const cols = fields.map((f) => `${quoteIdent(f.name)} ${duckType(f)}`).join(', ');
    await this.c.run(`CREATE TABLE ${quoteIdent(ds)}.${quoteIdent(t)} (${cols})`);
  }

  private async handleTables(req: http.IncomingMessage, res: http.ServerResponse, method: string, ds: string, rest: string[]): Promise<void> {
    if (rest.length === 0 && method === 'POST') {
      const body = JSON.parse((await this.body(req)).toString('utf8')) as { tableReference?: { tableId?: string }; schema?: { fields?: WarehouseField[] }; timePartitioning?: unknown; clustering?: unknown };
      const id = body.tableReference?.tableId ?? '';
      const key = `${ds}.${id}`;
      if (this.tables.has(key)) return this.send(res, 409, { error: { code: 409, message: `Already Exists: Table ${this.projectId}:${key}`, errors: [{ reason: 'duplicate' }] } });
      const meta: TableMeta = { fields: body.schema?.fields ?? [], timePartitioning: body.timePartitioning, clustering: body.clustering };
      try {
        validateLayout(meta);
      } catch (err) {
        return this.send(res, 400, { error: { code: 400, message: (err as Error).message, errors: [{ reason: 'invalid', message: (err as Error).message }] } });
      }
      await this.createDuckTable(ds, id, meta.fields);
      this.tables.set(key, meta);
      this.knownTables.set(key, meta.fields);
      return this.send(res, 200, this.tableResource(ds, id, meta));
    }
    const id = rest[0] ?? '';
    const key = `${ds}.${id}`;
    const meta = this.tables.get(key);
    if (!meta) return this.notFound(res, `Table ${this.projectId}:${key}`);
    if (method === 'GET') return this.send(res, 200, this.tableResource(ds, id, meta));
    if (method === 'DELETE') {
      this.tables.delete(key);
      await this.c.run(`DROP TABLE ${quoteIdent(ds)}.${quoteIdent(id)}`);
      res.writeHead(204);
      res.end();
      return;
    }
    if (method === 'PATCH' || method === 'PUT') {
      const body = JSON.parse((await this.body(req)).toString('utf8')) as { schema?: { fields?: WarehouseField[] }; labels?: Record<string, string | null> };
      if (body.labels) {
        try {
          meta.labels = patchLabels(meta.labels, body.labels);
        } catch (err) {
          return this.send(res, 400, { error: { code: 400, message: (err as Error).message, errors: [{ reason: 'invalid', message: (err as Error).message }] } });
        }
      }
      if (body.schema?.fields) {
        try {
          await this.applySchemaPatch(ds, id, meta.fields, body.schema.fields, []);
        } catch (err) {
          return this.send(res, 400, { error: { code: 400, message: (err as Error).message, errors: [{ reason: 'invalid', message: (err as Error).message }] } });
        }
        meta.fields = body.schema.fields;
        this.knownTables.set(key, meta.fields);
      }
      return this.send(res, 200, this.tableResource(ds, id, meta));
    }
    return this.notFound(res, key);
  }

  /** Like BigQuery: a patch may add NULLABLE/REPEATED fields, never drop or retype one. */
  private async applySchemaPatch(ds: string, t: string, have: WarehouseField[], want: WarehouseField[], parent: string[]): Promise<void> {
    const wantBy = new Map(want.map((f) => [f.name.toLowerCase(), f]));
    for (const h of have) {
      const w = wantBy.get(h.name.toLowerCase());
      if (!w) throw new Error(`Provided Schema does not match Table ${ds}.${t}. Field ${[...parent, h.name].join('.')} is missing in new schema`);
      if (w.type !== h.type || (w.mode ?? 'NULLABLE') !== (h.mode ?? 'NULLABLE')) throw new Error(`Provided Schema does not match Table ${ds}.${t}. Field ${[...parent, h.name].join('.')} has changed type from ${h.type} to ${w.type}`);
      // DuckDB reaches into a list of structs through "element".
      if (h.type === 'RECORD') await this.applySchemaPatch(ds, t, h.fields ?? [], w.fields ?? [], [...parent, h.name, ...(h.mode === 'REPEATED' ? ['element'] : [])]);
    }
    const haveNames = new Set(have.map((f) => f.name.toLowerCase()));
    for (const w of want) {
      if (haveNames.has(w.name.toLowerCase())) continue;
      if (w.mode === 'REQUIRED') throw new Error(`Cannot add required field ${w.name}`);
      const target = [...parent, w.name].map(quoteIdent).join('.');
      await this.c.run(`ALTER TABLE ${quoteIdent(ds)}.${quoteIdent(t)} ADD COLUMN ${target} ${duckType(w)}`);
    }
  }

  private newJob(config: Record<string, unknown>, ref: { jobId?: string; location?: string } | undefined): JobState {
    const jobId = ref?.jobId ?? randomUUID();
    const job: JobState = {
      polls: 0,
      resource: {
        kind: 'bigquery#job',
        id: `${this.projectId}:US.${jobId}`,
        jobReference: { projectId: this.projectId, jobId, location: ref?.location ?? 'US' },
        configuration: config,
        statistics: { creationTime: String(Date.now()) },
      },
    };
    this.jobs.set(jobId, job);
    return job;
  }

  /** Jobs report RUNNING when created and DONE on the first poll, so the client really polls. */
  private jobResource(job: JobState, polled: boolean): Record<string, unknown> {
    const done = polled && job.polls > 0;
    return {
      ...job.resource,
      status: done ? { state: 'DONE', ...(job.error ? { errorResult: job.error, errors: [job.error] } : {}) } : { state: 'RUNNING' },
    };
  }

  private async handleLoad(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const ctype = req.headers['content-type'] ?? '';
    const m = /boundary=("?)([^";]+)\1/.exec(ctype);
    if (!m) return this.send(res, 400, { error: { code: 400, message: 'expected multipart/related', errors: [{ reason: 'invalid' }] } });
    const raw = await this.body(req);
    const boundary = Buffer.from(`--${m[2]}`);
    const partsRaw: Buffer[] = [];
    let idx = raw.indexOf(boundary);
    while (idx >= 0) {
      const next = raw.indexOf(boundary, idx + boundary.length);
      if (next < 0) break;
      partsRaw.push(raw.subarray(idx + boundary.length, next));
      idx = next;
    }
    const parts = partsRaw.map((p) => {
      const sep = p.indexOf('\r\n\r\n');
      let bodyPart = p.subarray(sep + 4);
      if (bodyPart.subarray(-2).toString() === '\r\n') bodyPart = bodyPart.subarray(0, -2);
      return bodyPart;
    });
    const meta = JSON.parse(parts[0]?.toString('utf8') ?? '{}') as { configuration: { load: Record<string, unknown> }; jobReference?: { jobId?: string; location?: string } };
    const job = this.newJob(meta.configuration, meta.jobReference);
    try {
      await this.runLoad(meta.configuration.load, parts[1] ?? Buffer.alloc(0));
    } catch (err) {
      job.error = { reason: 'invalid', message: `Error while reading data: ${(err as Error).message}` };
    }
    return this.send(res, 200, this.jobResource(job, false));
  }

  private async runLoad(load: Record<string, unknown>, data: Buffer): Promise<void> {
    const dest = load['destinationTable'] as { projectId?: string; datasetId: string; tableId: string };
    if (dest.projectId && dest.projectId !== this.projectId) throw new Error(`Not found: Project ${dest.projectId}`);
    if (!this.datasets.has(dest.datasetId)) throw new Error(`Not found: Dataset ${dest.datasetId}`);
    if (load['sourceFormat'] !== 'NEWLINE_DELIMITED_JSON') throw new Error(`unsupported sourceFormat ${String(load['sourceFormat'])}`);
    const key = `${dest.datasetId}.${dest.tableId}`;
    const schema = (load['schema'] as { fields?: WarehouseField[] } | undefined)?.fields;
    let meta = this.tables.get(key);
    if (load['writeDisposition'] === 'WRITE_TRUNCATE' && meta && schema) {
      await this.c.run(`DROP TABLE ${quoteIdent(dest.datasetId)}.${quoteIdent(dest.tableId)}`);
      this.tables.delete(key);
      meta = undefined;
    }
    if (!meta) {
      if (load['createDisposition'] === 'CREATE_NEVER' || !schema) throw new Error(`Not found: Table ${key}`);
      meta = { fields: schema };
      await this.createDuckTable(dest.datasetId, dest.tableId, schema);
      this.tables.set(key, meta);
      this.knownTables.set(key, meta.fields);
    } else if (load['writeDisposition'] === 'WRITE_TRUNCATE') {
      await this.c.run(`DELETE FROM ${quoteIdent(dest.datasetId)}.${quoteIdent(dest.tableId)}`);
    }
    const file = path.join(this.tmp!, `${randomUUID()}.ndjson`);
    writeFileSync(file, data);
    try {
      if (data.length === 0) return;
      checkTimestamps(meta.fields, data);
      const cols = meta.fields.map((f) => quoteIdent(f.name)).join(', ');
      await this.c.run(`INSERT INTO ${quoteIdent(dest.datasetId)}.${quoteIdent(dest.tableId)} (${cols}) SELECT ${cols} FROM read_json($file, format = 'newline_delimited', columns = ${readJsonColumns(meta.fields)})`, { file });
    } finally {
      rmSync(file, { force: true });
    }
  }

  private async handleQueryJob(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = JSON.parse((await this.body(req)).toString('utf8')) as { configuration: { query: { query: string; queryParameters?: QueryParam[] } }; jobReference?: { jobId?: string; location?: string } };
    const job = this.newJob(body.configuration, body.jobReference);
    const q = body.configuration.query;
    const params: Record<string, unknown> = {};
    for (const p of q.queryParameters ?? []) params[p.name] = p.parameterValue?.value ?? null;
    const rec: RecordedStatement = { sql: q.query, params, ok: true };
    this.statements.push(rec);
    try {
      const fail = this.failures.findIndex((f) => f.match.test(q.query));
      if (fail >= 0) {
        const f = this.failures.splice(fail, 1)[0]!;
        throw Object.assign(new Error(f.message), { reason: f.reason });
      }
      await this.runStatement(q.query, q.queryParameters ?? []);
    } catch (err) {
      rec.ok = false;
      rec.error = (err as Error).message;
      job.error = { reason: (err as { reason?: string }).reason ?? 'invalidQuery', message: (err as Error).message };
    }
    return this.send(res, 200, this.jobResource(job, false));
  }

  /** Translates the BigQuery statement shapes the target emits to DuckDB and runs them. */
  private async runStatement(sql: string, qp: QueryParam[]): Promise<void> {
    let text = sql.replace(/`([^`]+)`\.`([^`]+)`\.`([^`]+)`/g, (_all, proj: string, ds: string, t: string) => {
      if (proj !== this.projectId) throw new Error(`Not found: Project ${proj}`);
      if (!this.datasets.has(ds)) throw new Error(`Not found: Dataset ${proj}:${ds}`);
      if (!this.tables.has(`${ds}.${t}`)) throw new Error(`Not found: Table ${proj}:${ds}.${t}`);
      return `${quoteIdent(ds)}.${quoteIdent(t)}`;
    });
    text = text.replace(/`([^`]+)`/g, (_a, n: string) => quoteIdent(n));
    const values: Record<string, string | number | bigint | null> = {};
    text = text.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_a, name: string) => {
      const p = qp.find((x) => x.name === name);
      if (!p) throw new Error(`Query parameter '${name}' not found`);
      const type = p.parameterType.type;
      const v = p.parameterValue?.value ?? null;
      // BigQuery reads an INT64 parameter exactly (it travels as a decimal string): so does the double.
      values[name] = type === 'INT64' && v !== null ? BigInt(v) : v;
      const duck = type === 'INT64' ? 'BIGINT' : type === 'TIMESTAMP' ? 'TIMESTAMPTZ' : type === 'NUMERIC' ? 'DECIMAL(38,9)' : 'VARCHAR';
      return `CAST($${name} AS ${duck})`;
    });
    const alter = /^ALTER TABLE "([^"]+)"\."([^"]+)" ALTER COLUMN "([^"]+)" SET DATA TYPE (\w+)$/.exec(text.trim());
    if (alter) {
      const [, ds, t, col, type] = alter as unknown as [string, string, string, string, string];
      const meta = this.tables.get(`${ds}.${t}`)!;
      const field = meta.fields.find((f) => f.name === col);
      if (!field) throw new Error(`Column ${col} not found in ${ds}.${t}`);
      const allowed: Record<string, string[]> = { INT64: ['NUMERIC', 'BIGNUMERIC', 'FLOAT64'], NUMERIC: ['BIGNUMERIC', 'FLOAT64'] };
      if (field.type !== type && !(allowed[field.type] ?? []).includes(type)) throw new Error(`ALTER TABLE ALTER COLUMN SET DATA TYPE requires that the existing column type (${field.type}) is assignable to the new type (${type})`);
      await this.c.run(`ALTER TABLE ${quoteIdent(ds)}.${quoteIdent(t)} ALTER COLUMN ${quoteIdent(col)} SET DATA TYPE ${duckType({ ...field, type: type as WarehouseField['type'] })}`);
      field.type = type as WarehouseField['type'];
      return;
    }
    if (!/^(MERGE INTO|INSERT INTO|UPDATE) /.test(text)) throw new Error(`emulator does not support this statement: ${sql.slice(0, 80)}`);
    await this.c.run(text, values);
  }
}

interface QueryParam {
  name: string;
  parameterType: { type: string };
  parameterValue?: { value?: string };
}

/**
 * BigQuery's label rules (cloud.google.com/bigquery/docs/labels-intro#requirements): at most 64 per
 * resource, keys 1-63 chars starting with a lowercase letter, values 0-63 chars, both only
 * lowercase letters, digits, _ and -. A patch merges into the existing labels; null removes one.
 */
function patchLabels(have: Record<string, string> | undefined, patch: Record<string, string | null>): Record<string, string> {
  const out = { ...have };
  for (const [k, v] of Object.entries(patch)) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k)) throw new Error(`Invalid label key: ${k}`);
    if (v === null) delete out[k];
    else if (!/^[a-z0-9_-]{0,63}$/.test(v)) throw new Error(`Invalid label value: ${v}`);
    else out[k] = v;
  }
  if (Object.keys(out).length > 64) throw new Error('Too many labels');
  return out;
}

/**
 * BigQuery's TIMESTAMP, stricter than DuckDB's that stores the tables here: microseconds (7 digits
 * fail, airbytehq/airbyte#75187), offsets within ±14:00 and instants within years 0001-9999 UTC
 * (ZetaSQL: '…+15:00' and '0001-01-01 00:30:00+01:00' are invalid TIMESTAMPs). A load holding
 * another fails as BigQuery's does.
 */
function checkTimestamps(fields: readonly WarehouseField[], data: Buffer): void {
  const check = (f: WarehouseField, v: unknown): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) return v.forEach((el) => check({ ...f, mode: 'NULLABLE' }, el));
    if (f.type === 'RECORD') return (f.fields ?? []).forEach((c) => check(c, (v as Record<string, unknown>)[c.name]));
    if (f.type !== 'TIMESTAMP' || typeof v !== 'string') return;
    const fraction = /\.(\d+)/.exec(v)?.[1] ?? '';
    const offset = /([+-])(\d{2}):?(\d{2})$/.exec(v);
    const ms = Date.parse(v);
    const inRange = ms >= Date.parse('0001-01-01T00:00:00Z') && ms < Date.parse('9999-12-31T23:59:59.999Z') + 1;
    if (fraction.length > 6 || (offset && Number(offset[2]) * 60 + Number(offset[3]) > 14 * 60) || !inRange) throw new Error(`Invalid timestamp: '${v}' (field ${f.name})`);
  };
  for (const line of data.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    for (const f of fields) check(f, row[f.name]);
  }
}

/** BigQuery rules the target must respect when it creates tables. */
function validateLayout(meta: TableMeta): void {
  const tp = meta.timePartitioning as { field?: string } | undefined;
  if (tp?.field) {
    const f = meta.fields.find((x) => x.name === tp.field);
    if (!f || !['DATE', 'TIMESTAMP', 'DATETIME'].includes(f.type) || f.mode === 'REPEATED') throw new Error(`partitioning field ${tp.field} must be a top-level DATE or TIMESTAMP column`);
  }
  const cl = (meta.clustering as { fields?: string[] } | undefined)?.fields ?? [];
  if (cl.length > 4) throw new Error('at most four clustering fields');
  for (const c of cl) if (!meta.fields.some((x) => x.name === c && x.mode !== 'REPEATED' && x.type !== 'JSON' && x.type !== 'RECORD')) throw new Error(`clustering field ${c} must be a top-level scalar column`);
  // BigQuery: "Field c is of type FLOAT64 which is not supported for clustering."
  for (const c of cl) if (meta.fields.some((x) => x.name === c && x.type === 'FLOAT64')) throw new Error(`Field ${c} is of type FLOAT64 which is not supported for clustering.`);
}
