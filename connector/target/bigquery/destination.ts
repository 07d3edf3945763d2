// BigQuery destination: a batch file goes up as a multipart NDJSON load job into a staging table
// (WRITE_TRUNCATE, explicit schema), then one MERGE query job (plus one for history) applies it.
// Tables are created and patched through the tables API; only widenings need DDL. The client is
// injected, so tests point it at a loopback emulator with no credentials at all.
import { BigQuery, type BigQueryOptions } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { AuthError, ConfigError, ConnectorError, DataError, PermissionError, ThrottledError, TransientError } from '../../core/errors.js';
import type { TargetConfig } from '../config.js';
import type { BatchFile, Destination, StreamTable } from '../destination.js';
import type { EvolutionPlan } from '../evolution.js';
import { unlistedColumns, withoutSources } from '../evolution.js';
import { ACTIVATED_VERSION_LABEL, alterColumnTypeSql, appendSql, assertIdentifier, historySql, mergeSql, SEQUENCE_COLUMN, softDeleteSql, type Dialect } from '../sql.js';
import { MAX_TABLE_VERSION, type TableVersion } from '../../singer/messages.js';
import type { WarehouseField, TableLayout } from '../fields.js';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { KEY_LABEL, keyColumnLabels, keyColumnsFromLabels, keyFingerprint, type RecordedKey } from '../table-key.js';

/** One file for a load job (a local upload takes one): the batch's parts joined in order when it has several. */
async function oneFile(batch: BatchFile): Promise<string> {
  const [first] = batch.paths;
  if (first === undefined) throw new Error('a batch without files');
  if (batch.paths.length === 1) return first;
  const joined = `${first}.joined`;
  const out = createWriteStream(joined, { mode: 0o600 });
  for (const p of batch.paths) await pipeline(createReadStream(p), out, { end: false });
  out.end();
  await new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
  return joined;
}

export interface BigQueryDestinationOptions {
  client: BigQuery;
  projectId: string;
  dataset: string;
  location: string;
  /** Called with every SQL statement before it is sent (logging, tests). */
  onStatement?: (sql: string) => void;
}

const PROJECT_RE = /^[a-z][a-z0-9-]{4,61}[a-z0-9]$/;
const DATASET_RE = /^[A-Za-z0-9_]{1,1024}$/;

export function bigQueryDialect(projectId: string, dataset: string): Dialect {
  if (!PROJECT_RE.test(projectId)) throw new ConfigError(`project_id "${projectId}" is not a valid Google Cloud project id`);
  if (!DATASET_RE.test(dataset)) throw new ConfigError(`dataset "${dataset}" is not a valid BigQuery dataset name`);
  return {
    table: (name) => `\`${projectId}\`.\`${dataset}\`.\`${assertIdentifier(name)}\``,
    ident: (name) => `\`${assertIdentifier(name)}\``,
    param: (name) => `@${assertIdentifier(name)}`,
    type: (f) => (f.mode === 'REPEATED' ? `ARRAY<${f.type}>` : f.type),
  };
}

const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/;

/** The production client (service-account file, inline key or application default credentials). */
export function bigQueryClientFromConfig(c: TargetConfig): BigQuery {
  const opts: BigQueryOptions = { location: c.location };
  if (c.project_id) opts.projectId = c.project_id;
  if (c.api_endpoint) {
    opts.apiEndpoint = c.api_endpoint.replace(/\/$/, '');
    // A loopback endpoint is an emulator: never send it credentials, never look for any.
    if (LOOPBACK.test(c.api_endpoint)) opts.authClient = new PassThroughClient();
  }
  if (!opts.authClient) {
    if (c.credentials_path) opts.keyFilename = c.credentials_path;
    else if (c.credentials_json) opts.credentials = c.credentials_json as NonNullable<BigQueryOptions['credentials']>;
  }
  return new BigQuery(opts);
}

interface ApiErrorLike {
  code?: number | string;
  message?: string;
  errors?: { reason?: string; message?: string }[];
}

/**
 * Node's codes for a request that never reached BigQuery or lost it midway (the client passes them on
 * as the error's `code`): retry later (7), not a bug (1). ENOTFOUND/EAI_AGAIN: no DNS, no network.
 */
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'EPIPE']);

/** Maps client/API failures to the connector's error kinds (and so to exit codes). */
export function mapBigQueryError(err: unknown, what: string, stream?: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = (err ?? {}) as ApiErrorLike;
  const reason = e.errors?.[0]?.reason;
  const detail =
    e.errors
      ?.map((x) => x.message)
      .filter(Boolean)
      .join('; ') ||
    e.message ||
    String(err);
  const context = { ...(stream ? { stream } : {}), bigquery_reason: reason, http_status: e.code };
  const msg = `${what}${stream ? ` (stream "${stream}")` : ''} failed: ${detail}`;
  const code = typeof e.code === 'number' ? e.code : Number.NaN;
  if (code === 401) return new AuthError(msg, { context, hint: 'Check the service-account key (credentials_path) or application default credentials.', cause: err });
  if (reason === 'rateLimitExceeded' || reason === 'quotaExceeded' || code === 429) return new ThrottledError(msg, { context, hint: 'BigQuery quota reached; re-run later from the last emitted STATE.', cause: err });
  if (code === 403 || reason === 'accessDenied') return new PermissionError(msg, { context, hint: 'Grant the service account BigQuery Data Editor on the dataset and Job User on the project.', cause: err });
  if (code === 404 || reason === 'notFound') return new ConfigError(msg, { context, hint: 'Check project_id, dataset and location in the target config.', cause: err });
  if (reason === 'invalid' || reason === 'invalidQuery' || code === 400) return new DataError(msg, { context, hint: 'The batch was not merged; the last emitted STATE still stands. Fix the data or schema and re-run.', cause: err });
  if (code >= 500 || reason === 'backendError' || reason === 'internalError') {
    return new TransientError(msg, { context, hint: 'BigQuery was unavailable; re-run later from the last emitted STATE.', cause: err });
  }
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) {
    return new TransientError(msg, { context, hint: 'BigQuery could not be reached from this machine (no network, DNS or a proxy in the way, or api_endpoint mistyped); re-run later from the last emitted STATE.', cause: err });
  }
  return new ConnectorError('unexpected', msg, { context, cause: err });
}

export class BigQueryDestination implements Destination {
  readonly kind = 'bigquery' as const;
  private readonly d: Dialect;

  constructor(private readonly opts: BigQueryDestinationOptions) {
    this.d = bigQueryDialect(opts.projectId, opts.dataset);
  }

  private get dataset() {
    return this.opts.client.dataset(this.opts.dataset, { location: this.opts.location, projectId: this.opts.projectId });
  }

  async open(): Promise<void> {
    try {
      const [exists] = await this.dataset.exists();
      if (!exists) await this.dataset.create({ location: this.opts.location });
    } catch (err) {
      if ((err as ApiErrorLike).code === 409) return;
      throw mapBigQueryError(err, `creating dataset ${this.opts.dataset}`);
    }
  }

  async describe(table: string): Promise<WarehouseField[] | undefined> {
    try {
      const [meta] = await this.dataset.table(table).getMetadata();
      return ((meta as { schema?: { fields?: WarehouseField[] } }).schema?.fields ?? []).map(normaliseField);
    } catch (err) {
      if ((err as ApiErrorLike).code === 404) return undefined;
      throw mapBigQueryError(err, `reading table ${table}`);
    }
  }

  async createTable(table: string, fields: readonly WarehouseField[], layout: TableLayout): Promise<void> {
    try {
      await this.dataset.createTable(table, {
        schema: { fields: withoutSources(fields) },
        ...(layout.partitionField ? { timePartitioning: { type: 'DAY', field: layout.partitionField } } : {}),
        ...(layout.clusterFields.length ? { clustering: { fields: layout.clusterFields } } : {}),
      });
    } catch (err) {
      if ((err as ApiErrorLike).code === 409) return;
      throw mapBigQueryError(err, `creating table ${table}`);
    }
  }

  async evolve(table: string, plan: EvolutionPlan): Promise<void> {
    for (const w of plan.widened) {
      const field = plan.effective.find((f) => f.name === w.column);
      if (field) await this.query(alterColumnTypeSql(this.d, table, w.column, field), `widening ${table}.${w.column}`);
    }
    if (plan.added.length || plan.addedNested.length) {
      try {
        await this.dataset.table(table).setMetadata({ schema: { fields: withoutSources(plan.effective) } });
      } catch (err) {
        throw mapBigQueryError(err, `adding columns to ${table}`);
      }
    }
  }

  async commitBatch(t: StreamTable, batch: BatchFile): Promise<void> {
    const stageFields = [...withoutSources(t.fields), { name: SEQUENCE_COLUMN, type: 'INT64', mode: 'NULLABLE' } as const];
    const file = await oneFile(batch);
    try {
      await this.dataset.table(t.stageTable).load(file, {
        sourceFormat: 'NEWLINE_DELIMITED_JSON',
        schema: { fields: stageFields },
        writeDisposition: 'WRITE_TRUNCATE',
        createDisposition: 'CREATE_IF_NEEDED',
      });
    } catch (err) {
      throw mapBigQueryError(err, `loading a batch of ${batch.rows} rows into ${t.stageTable}`, t.stream);
    } finally {
      if (file !== batch.paths[0]) rmSync(file, { force: true });
    }
    const columns = t.fields.map((f) => f.name);
    const main = t.keyColumns.length === 0 ? appendSql(this.d, t.table, t.stageTable, columns) : mergeSql(this.d, { target: t.table, source: t.stageTable, columns, keys: t.keyColumns, orderColumn: t.orderColumn, keep: unlistedColumns(t.fields) });
    await this.query(main, `merging into ${t.table}`, t.stream);
    // History after the main table: a crash in between is repaired by the replay (both idempotent).
    if (t.historyTable) await this.query(historySql(this.d, { target: t.historyTable, source: t.stageTable, columns, keys: t.keyColumns }), `appending history ${t.historyTable}`, t.stream);
    await this.dataset
      .table(t.stageTable)
      .delete()
      .catch(() => undefined);
  }

  /** The table's labels; undefined when the table does not exist. */
  private async labels(table: string): Promise<Record<string, string> | undefined> {
    try {
      const [meta] = await this.dataset.table(table).getMetadata();
      return (meta as { labels?: Record<string, string> }).labels ?? {};
    } catch (err) {
      if ((err as ApiErrorLike).code === 404) return undefined;
      throw mapBigQueryError(err, `reading table ${table}`);
    }
  }

  async tableKey(table: string): Promise<RecordedKey | undefined> {
    const labels = await this.labels(table);
    const fingerprint = labels?.[KEY_LABEL];
    return fingerprint === undefined ? undefined : { fingerprint, columns: keyColumnsFromLabels(labels!) };
  }

  async recordTableKey(table: string, columns: readonly string[]): Promise<void> {
    const have = (await this.labels(table)) ?? {};
    try {
      // A patch merges labels: the activated version's label stays; column labels of an earlier record beyond these are removed.
      await this.dataset.table(table).setMetadata({ labels: { [KEY_LABEL]: keyFingerprint(columns), ...keyColumnLabels(columns, have) } });
    } catch (err) {
      throw mapBigQueryError(err, `recording the key of ${table}`);
    }
  }

  async activatedVersion(table: string): Promise<TableVersion | undefined> {
    const labels = await this.labels(table);
    const v = labels?.[ACTIVATED_VERSION_LABEL];
    // The label holds the digits (any int64); one that is not a version is ignored.
    return v !== undefined && /^\d{1,19}$/.test(v) && BigInt(v) <= MAX_TABLE_VERSION ? BigInt(v) : undefined;
  }

  async activateVersion(t: StreamTable, version: TableVersion, at: Date): Promise<void> {
    // The label lives and dies with the table; it is written before the soft delete (see Destination).
    try {
      await this.dataset.table(t.table).setMetadata({ labels: { [ACTIVATED_VERSION_LABEL]: String(version) } });
    } catch (err) {
      throw mapBigQueryError(err, `recording the activated version of ${t.table}`, t.stream);
    }
    await this.query(softDeleteSql(this.d, t.table), `soft-deleting old versions in ${t.table}`, t.stream, {
      // INT64 parameters travel as decimal strings in the REST API: exact.
      params: { deleted_at: BigQuery.timestamp(at), version: version.toString() },
      types: { deleted_at: 'TIMESTAMP', version: 'INT64' },
    });
  }

  private async query(sql: string, what: string, stream?: string, p?: { params: Record<string, unknown>; types: Record<string, string> }): Promise<void> {
    this.opts.onStatement?.(sql);
    try {
      const [job] = await this.opts.client.createQueryJob({ query: sql, location: this.opts.location, useLegacySql: false, ...(p ? { params: p.params, types: p.types } : {}) });
      await job.promise();
    } catch (err) {
      throw mapBigQueryError(err, what, stream);
    }
  }

  async close(): Promise<void> {
    // The client holds no sockets that outlive a request.
  }
}

/** BigQuery reports INTEGER/FLOAT/BOOLEAN/STRUCT legacy names on some tables; use one spelling. */
function normaliseField(f: WarehouseField): WarehouseField {
  const alias: Record<string, WarehouseField['type']> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', STRUCT: 'RECORD', BIGNUMERIC: 'NUMERIC' };
  const type = alias[f.type as string] ?? f.type;
  return { name: f.name, type, mode: f.mode ?? 'NULLABLE', ...(f.fields ? { fields: f.fields.map(normaliseField) } : {}) };
}
