// The bench's "parse + validate" floor: what any target that checks each record against its
// SCHEMA in JavaScript pays per row before it writes anything. Reads Singer lines on stdin, parses
// each one as the target does (lossless numbers: connector/singer/reader.ts) and validates every
// RECORD with the target's own ajv setup (connector/target/validator.ts) against the last SCHEMA of
// its stream — nothing else: no mapping, no output, no warehouse. Prints one JSON line:
// { rows, invalid, cpuMicros } where cpuMicros is this process's user + system CPU from its first
// line to its last (module loading excluded: the floor is a per-row cost).
import { createInterface } from 'node:readline';
import type { ValidateFunction } from 'ajv';
import { parseLineExact } from '../connector/singer/reader.js';
import { approximate } from '../connector/singer/exact-json.js';
import { newRecordAjv } from '../connector/target/validator.js';

const ajv = newRecordAjv();
const validators = new Map<string, ValidateFunction>();
let rows = 0;
let invalid = 0;
let line = 0;
let cpu0: NodeJS.CpuUsage | undefined;
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
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ rows, invalid, cpuMicros: cpu.user + cpu.system })}\n`);
