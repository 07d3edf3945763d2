// The bench's "parse + validate" floor: what any target that checks each record against its
// SCHEMA in JavaScript pays per row before it writes anything. Reads Singer lines on stdin, parses
// each one as the target does (lossless numbers: connector/singer/reader.ts) and validates every
// RECORD with the target's own ajv setup (connector/target/validator.ts) against the last SCHEMA of
// its stream — nothing else: no mapping, no output, no warehouse. With `--fast`, each RECORD line's
// bytes go through the target's fast path instead (connector/target/fast-row.ts: validation and the
// row written, into a scratch buffer), and `invalid` counts the lines it leaves to the full path.
// Prints one JSON line: { rows, invalid, cpuMicros } where cpuMicros is this process's user +
// system CPU from its first line to its last (module loading excluded: the floor is a per-row cost).
import { createInterface } from 'node:readline';
import type { ValidateFunction } from 'ajv';
import { forEachLine, parseLineExact } from '../connector/singer/reader.js';
import { approximate } from '../connector/singer/exact-json.js';
import { newRecordAjv } from '../connector/target/validator.js';
import { streamFields } from '../connector/target/fields.js';
import { FALLBACK, FastRowMapper } from '../connector/target/fast-row.js';

const RECORD_HEAD = Buffer.from('{"type":"RECORD"');
let rows = 0;
let invalid = 0;
let cpu0: NodeJS.CpuUsage | undefined;

/** The full path's parse + ajv on each line. */
async function parseAndValidate(): Promise<void> {
  const ajv = newRecordAjv();
  const validators = new Map<string, ValidateFunction>();
  let line = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    cpu0 ??= process.cpuUsage();
    line++;
    if (text === '') continue;
    const { message, exact } = parseLineExact(text, line);
    if (message.type === 'SCHEMA') validators.set(message.stream, ajv.compile(message.schema));
    else if (message.type === 'RECORD') {
      const validate = validators.get(message.stream);
      if (!validate) throw new Error(`line ${line}: RECORD of stream "${message.stream}" before its SCHEMA`);
      if (!validate(exact ? approximate(message.record) : message.record)) invalid++;
      rows++;
    }
  }
}

/** The fast path on each RECORD line's bytes (SCHEMA lines parsed to compile it). */
async function fastPath(): Promise<void> {
  const mappers = new Map<string, FastRowMapper>();
  const buf = Buffer.allocUnsafe(1 << 20);
  const sink = { reserve: () => ({ buf, at: 0 }), commit: () => undefined };
  const at = { line: 0, receivedAt: Buffer.from('"2026-01-01T00:00:00.000Z"'), batchedAt: Buffer.from('"2026-01-01T00:00:00.000Z"'), activated: undefined };
  let current: FastRowMapper | undefined;
  await forEachLine(process.stdin, (bytes, line) => {
    cpu0 ??= process.cpuUsage();
    if (bytes.length === 0) return undefined;
    // The bench's input (bench/singer-input.ts) writes each RECORD's type first, of the last SCHEMA's stream.
    if (!bytes.subarray(0, RECORD_HEAD.length).equals(RECORD_HEAD)) {
      const { message } = parseLineExact(bytes.toString('utf8'), line);
      if (message.type !== 'SCHEMA') return undefined;
      const m = FastRowMapper.compile(message.schema, streamFields(message.schema, { stream: message.stream }), message.key_properties, message.stream);
      if (!m) throw new Error(`line ${line}: the SCHEMA of stream "${message.stream}" has no fast path`);
      mappers.set(message.stream, m);
      current = m;
      return undefined;
    }
    at.line = line;
    if (current!.map(bytes, at, sink) === FALLBACK) invalid++;
    rows++;
    return undefined;
  });
}

await (process.argv.includes('--fast') ? fastPath() : parseAndValidate());
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ rows, invalid, cpuMicros: cpu.user + cpu.system })}\n`);
