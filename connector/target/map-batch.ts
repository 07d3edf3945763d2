// Turns one part of a raw batch (batch.ts: RECORD lines as they arrived) into warehouse rows: each
// line is checked as UTF-8, parsed without rounding a number, validated against its SCHEMA, dropped
// when stale, mapped (rows.ts) and written as NDJSON. The same code runs on the reading thread for
// small batches and in worker threads (map-worker.ts) for big ones; either way the errors are the
// DataErrors the loader always gave, naming the line. Pure of loader state: a job carries all it needs.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { describeAjvErrors } from '../core/config.js';
import { DataError } from '../core/errors.js';
import { approximate, stringifyExact } from '../singer/exact-json.js';
import { parseLineExact } from '../singer/reader.js';
import { accountOf, RecordCounts, type CountEntry } from '../singer/record-counts.js';
import type { TableVersion } from '../singer/messages.js';
import type { MappedField } from './fields.js';
import { parseEntryHead, type RawPart } from './batch.js';
import { mayHoldSurrogates, toRow } from './rows.js';
import { compileRecordValidator, newRecordAjv, type RecordValidator } from './validator.js';
import { FastRowMapper, STALE, WRITTEN, type RowSink } from './fast-row.js';

/**
 * Row size (NDJSON bytes) a batch refuses from: DuckDB's read_json refuses objects over 16 MiB
 * by default (maximum_object_size) and BigQuery rows cap at 100 MB; the smaller one rules so a row
 * is refused here, per record, instead of failing the whole batch at load time.
 */
export const MAX_ROW_BYTES = 16 * 2 ** 20;

/** Everything needed to map one part of one stream's raw batch (structured-clone safe). */
export interface MapJob {
  stream: string;
  rawPath: string;
  part: RawPart;
  outPath: string;
  fields: MappedField[];
  keySources: string[];
  /** The stream's SCHEMA (validated when `validate`), and the key its compiled validator is cached under. */
  schema: Record<string, unknown>;
  schemaKey: string;
  validate: boolean;
  /** The table's activated version: records of an older version are stale. */
  activated: TableVersion | undefined;
  batchedAt: string;
  /** false: every line through the full path (parse, ajv, toRow), not fast-row.ts first (tests compare the two). */
  fastPath?: boolean;
}

/** What mapping a part produced (structured-clone safe). */
export interface MapResult {
  rows: number;
  bytes: number;
  counts: CountEntry[];
  stale: CountEntry[];
  /** First stale record's line and version (logged once per stream). */
  firstStale: { line: number; version: TableVersion } | undefined;
  /** The first record holding properties its SCHEMA does not list (not loaded: logged once per stream). */
  firstUnlisted: { line: number; properties: string[] } | undefined;
}

const READ_BYTES = 1024 * 1024;
const WRITE_BYTES = 1024 * 1024;

/**
 * A part file's rows, encoded as they come into a buffer that is written when full, so each row's
 * string dies young. Gathering the strings for a joined write kept up to 256 KiB of them alive
 * across the worker's scavenges, which copied and then promoted them: the map worker's GC fell from
 * 7.6 to 3.1 µs a row on 300k insights rows of ~2.1 KiB (2026-12-01). The buffer is the thread's
 * one (mapping a part is synchronous): a new 1 MiB buffer per part was freed only when V8 got to it,
 * and the target's peak RSS at 1M rows rose from 275 to 301 MiB.
 */
class PartWriter implements RowSink {
  private static shared: Buffer | undefined;
  private readonly buf = (PartWriter.shared ??= Buffer.allocUnsafe(WRITE_BYTES));
  private used = 0;
  /** Bytes the last commit() added. */
  committed = 0;

  constructor(private readonly fd: number) {}

  /** Appends `text` as UTF-8; returns its byte length. */
  write(text: string): number {
    const most = text.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    if (this.used + most > this.buf.length) {
      this.flush();
      if (most > this.buf.length) return writeAll(this.fd, Buffer.from(text, 'utf8'));
    }
    const n = this.buf.write(text, this.used, 'utf8');
    this.used += n;
    return n;
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  /** Room for `bytes` written in place (the fast path), or undefined when they would not fit the buffer. */
  reserve(bytes: number): { buf: Buffer; at: number } | undefined {
    if (this.used + bytes > this.buf.length) {
      this.flush();
      if (bytes > this.buf.length) return undefined;
    }
    return { buf: this.buf, at: this.used };
  }

  commit(end: number): void {
    this.committed = end - this.used;
    this.used = end;
  }
}

/** Writes all of `bytes` (writeSync may write less than asked); returns their length. */
function writeAll(fd: number, bytes: Buffer): number {
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
  return bytes.length;
}

const validators = new Map<string, RecordValidator>();
const listedNames = new Map<string, Set<string>>();

/** The record properties a SCHEMA lists (its top-level properties; the table's columns' sources too). */
function listedOf(job: MapJob): Set<string> {
  let names = listedNames.get(job.schemaKey);
  if (!names) {
    const props = job.schema['properties'];
    names = new Set([...(props && typeof props === 'object' ? Object.keys(props) : []), ...job.fields.flatMap((f) => (f.source === undefined ? [] : [f.source]))]);
    listedNames.set(job.schemaKey, names);
  }
  return names;
}

/** At most this many unlisted property names are reported (a record of unlisted keys would fill the log). */
const MAX_UNLISTED_NAMED = 10;

/** The properties of `record` the SCHEMA does not list, or undefined when it lists them all. */
function unlistedOf(record: Record<string, unknown>, listed: Set<string>): string[] | undefined {
  let out: string[] | undefined;
  for (const k in record) {
    if (listed.has(k)) continue;
    (out ??= []).push(k);
    if (out.length === MAX_UNLISTED_NAMED) break;
  }
  return out;
}
let ajv: ReturnType<typeof newRecordAjv> | undefined;

const fastMappers = new Map<string, FastRowMapper | undefined>();

/** The stream's fast path (fast-row.ts) for these columns and keys, or undefined when it has none. */
function fastMapperOf(job: MapJob): FastRowMapper | undefined {
  const key = `${job.schemaKey}\n${job.stream}\n${JSON.stringify(job.keySources)}\n${JSON.stringify(job.fields)}`;
  if (!fastMappers.has(key)) fastMappers.set(key, FastRowMapper.compile(job.schema, job.fields, job.keySources, job.stream));
  return fastMappers.get(key);
}

function validatorOf(job: MapJob): RecordValidator | undefined {
  if (!job.validate) return undefined;
  let v = validators.get(job.schemaKey);
  if (!v) {
    ajv ??= newRecordAjv();
    v = compileRecordValidator(ajv, job.schema);
    validators.set(job.schemaKey, v);
  }
  return v;
}

/** Calls `each` with every entry (line) of the byte range, reading the file in 1 MiB slices. */
function forEachEntry(path: string, part: RawPart, each: (entry: Buffer) => void): void {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(READ_BYTES);
    let have = 0;
    let pos = part.start;
    while (pos < part.end || have > 0) {
      if (pos < part.end) {
        if (have === buf.length) {
          // One entry bigger than the buffer: grow it (entries are bounded by the line size).
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
        const n = readSync(fd, buf, have, Math.min(buf.length - have, part.end - pos), pos);
        if (n === 0) throw new Error(`raw batch ${path} ended at ${pos}, before ${part.end}`);
        pos += n;
        have += n;
      }
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1 && nl < have; nl = buf.indexOf(10, start)) {
        each(buf.subarray(start, nl));
        start = nl + 1;
      }
      if (start === 0 && pos >= part.end && have > 0) throw new Error(`raw batch ${path}: entry without its newline at ${part.end}`);
      buf.copy(buf, 0, start, have);
      have -= start;
    }
  } finally {
    closeSync(fd);
  }
}

/** Maps one part of a raw batch into `job.outPath`; throws the first record's DataError (line order). */
export function mapBatchPart(job: MapJob): MapResult {
  const validate = validatorOf(job);
  const fast = job.fastPath === false ? undefined : fastMapperOf(job);
  const fastLine = { line: 0, receivedAt: Buffer.alloc(0), batchedAt: fast ? Buffer.from(JSON.stringify(job.batchedAt)) : Buffer.alloc(0), activated: job.activated };
  let fastReceived = NaN;
  const counts = new RecordCounts();
  const stale = new RecordCounts();
  let firstStale: MapResult['firstStale'];
  let firstUnlisted: MapResult['firstUnlisted'];
  let listed: Set<string> | undefined;
  let rows = 0;
  let bytes = 0;
  const out = openSync(job.outPath, 'w', 0o600);
  const writer = new PartWriter(out);
  let lastReceived = NaN;
  let receivedAt = '';
  try {
    forEachEntry(job.rawPath, job.part, (entry) => {
      const head = parseEntryHead(entry);
      if (!head) throw new Error(`raw batch ${job.rawPath}: an entry has no line number`);
      const { line } = head;
      let body = head.body;
      if (body.length > 0 && body[body.length - 1] === 13) body = body.subarray(0, body.length - 1);
      if (!isUtf8(body)) {
        throw new DataError(`line ${line}: not valid UTF-8`, {
          context: { line },
          hint: 'Singer messages are UTF-8 JSON; fix the encoding in the producer (this line and everything after it were not loaded).',
        });
      }
      if (fast) {
        if (head.receivedMs !== fastReceived) {
          fastReceived = head.receivedMs;
          fastLine.receivedAt = Buffer.from(JSON.stringify(new Date(head.receivedMs).toISOString()));
        }
        fastLine.line = line;
        const done = fast.map(body, fastLine, writer);
        if (done === WRITTEN) {
          bytes += writer.committed;
          rows++;
          counts.add(job.stream, fast.account);
          return;
        }
        if (done === STALE) {
          firstStale ??= { line, version: fast.version! };
          stale.add(job.stream, fast.account);
          return;
        }
      }
      const text = body.toString('utf8');
      let parsed;
      try {
        parsed = parseLineExact(text, line);
      } catch (err) {
        const e = err as DataError;
        throw new DataError(`${e.message} (stream "${job.stream}")`, { ...(e.hint ? { hint: e.hint } : {}), context: { ...e.context, line, stream: job.stream } });
      }
      const msg = parsed.message;
      if (msg.type !== 'RECORD' || msg.stream !== job.stream) {
        // The reader routed it by its first keys; parseLineExact refuses a repeated "type" or "stream",
        // so they agree: a guard against a routing bug, not a check of the input.
        throw new DataError(`line ${line}: the line starts as a RECORD of stream "${job.stream}" but parses as a ${msg.type}${'stream' in msg ? ` of stream "${msg.stream}"` : ''} (a repeated key?)`, {
          context: { line, stream: job.stream },
          hint: 'Fix the producer: a Singer message has each key once.',
        });
      }
      if (validate && !validate(parsed.exact ? approximate(msg.record) : msg.record)) {
        throw new DataError(`line ${line}: stream "${msg.stream}": record does not match its SCHEMA: ${describeAjvErrors(validate.errors, 'record')}`, {
          context: { line, stream: msg.stream },
          hint: 'Fix the tap (or its SCHEMA); the batch containing this record was not merged and the last emitted STATE still stands.',
        });
      }
      if (msg.version !== undefined && job.activated !== undefined && msg.version < job.activated) {
        firstStale ??= { line, version: msg.version };
        stale.add(msg.stream, accountOf(msg.record));
        return;
      }
      if (head.receivedMs !== lastReceived) {
        lastReceived = head.receivedMs;
        receivedAt = new Date(head.receivedMs).toISOString();
      }
      const row = toRow(msg.stream, line, msg.record, job.fields, job.keySources, {
        receivedAt,
        batchedAt: job.batchedAt,
        extractedAt: msg.time_extracted,
        version: msg.version,
        sequence: line,
        checkStrings: mayHoldSurrogates(text),
      });
      // Until one is found in this part: a record's keys against the SCHEMA's names, ~0.2 µs for an
      // insights row's 37 keys (of ~50 µs CPU a row; 300k-row target runs showed no difference beyond noise).
      if (firstUnlisted === undefined) {
        const properties = unlistedOf(msg.record, (listed ??= listedOf(job)));
        if (properties) firstUnlisted = { line, properties };
      }
      const json = stringifyExact(row, parsed.exact);
      // UTF-8 bytes are at most 3 per UTF-16 unit: count them only when the row could be too big.
      const size = json.length * 3 < MAX_ROW_BYTES ? json.length : Buffer.byteLength(json);
      if (size >= MAX_ROW_BYTES) {
        throw new DataError(`line ${line}: stream "${msg.stream}": the record is ${(size / 2 ** 20).toFixed(1)} MiB as a row, more than the ${MAX_ROW_BYTES / 2 ** 20} MiB a warehouse row may hold`, {
          context: { line, stream: msg.stream },
          hint: 'Leave the oversized property out of the catalog selection, or split it in the tap.',
        });
      }
      bytes += writer.write(json + '\n');
      rows++;
      counts.add(msg.stream, accountOf(msg.record));
    });
    writer.flush();
  } finally {
    closeSync(out);
  }
  return { rows, bytes, counts: counts.entries(), stale: stale.entries(), firstStale, firstUnlisted };
}
