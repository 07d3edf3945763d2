// Reads Singer messages line by line from a stream (the target's stdin). Errors name the line
// number and the problem, because a user debugging a broken pipe needs to find the line.
import type { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { createInterface } from 'node:readline';
import { DataError } from '../core/errors.js';
import { asSingerMessage, type ReadMessage } from './messages.js';
import { parseExact } from './exact-json.js';
import { repeatedRoutingKey } from './repeated-keys.js';

export interface NumberedMessage {
  line: number;
  message: ReadMessage;
  /** Size of the raw line in bytes (for batch sizing). */
  bytes: number;
}

/** Parses one line; throws DataError carrying the line number. */
export function parseLine(text: string, line: number): ReadMessage {
  return parseLineExact(text, line).message;
}

/**
 * A bare NaN, Infinity or -Infinity where a value goes: what Python's json.dumps writes for float
 * nan/inf (allow_nan defaults to True), which no JSON parser takes. Looked for only once a line
 * failed to parse, to name the cause instead of suspecting stray log output on stdout.
 */
const NON_FINITE_NUMBER = /[:[,]\s*(-?Infinity|NaN)\s*[,\]}]/;

/**
 * Parses one line without rounding any number (see exact-json.ts); `exact` says whether some
 * number was kept as a LosslessNumber. A "type" or "stream" key given twice is refused
 * (repeated-keys.ts). Throws DataError carrying the line number.
 */
export function parseLineExact(text: string, line: number): { message: ReadMessage; exact: boolean } {
  let value: unknown;
  let exact: boolean;
  try {
    ({ value, exact } = parseExact(text));
  } catch (err) {
    const nonFinite = NON_FINITE_NUMBER.exec(text)?.[1];
    if (nonFinite !== undefined) {
      throw new DataError(`line ${line}: not valid JSON: ${nonFinite} is not a JSON number`, {
        context: { line },
        hint: "Fix the tap: send a value that is not a finite number as null (or a string). Python's json.dumps and simplejson (singer-python) write float nan and inf as NaN and Infinity unless allow_nan=False.",
      });
    }
    throw new DataError(`line ${line}: ${notJsonReason(text) ?? `not valid JSON (${(err as Error).message})`}`, {
      context: { line },
      hint: 'The upstream tap wrote something that is not a Singer message to stdout; check its logs go to stderr.',
    });
  }
  const repeated = repeatedRoutingKey(text);
  if (repeated) {
    throw new DataError(`line ${line}: the "${repeated}" key appears more than once in the message`, {
      context: { line },
      hint: 'Fix the producer: a Singer message has each key once. Which stream or type a repeated key means cannot be told, so the line is loaded nowhere.',
    });
  }
  try {
    return { message: asSingerMessage(value), exact };
  } catch (err) {
    throw new DataError(`line ${line}: ${(err as Error).message}`, { context: { line }, hint: 'Fix the producer of this message.' });
  }
}

/**
 * A line that holds no message: empty, or only JSON's own whitespace (space, tab, CR; RFC 8259
 * `ws`) — what JSON.parse, like the Meltano SDK's and singer-python's json.loads, skips around a
 * message. Other invisible characters (vertical tab, NBSP, a byte order mark, U+2028, which
 * String.trim would also drop) are not blank: the line is refused as not a Singer message.
 */
export function isBlankLine(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** U+FEFF, a byte order mark: ignored only at the very start of the input (see stripInputBom). */
const BOM = '\ufeff';

/**
 * Line 1 without a UTF-8 byte order mark at its start: RFC 8259 §8.1 lets a parser ignore one, and
 * producers on Windows write it (PowerShell's UTF-8). Anywhere else it is refused (parseLineExact).
 */
export function stripInputBom(bytes: Buffer, line: number): Buffer {
  return line === 1 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/** What Python's str.isspace adds to String.trim's whitespace (FS, GS, RS, US, NEL). */
const PYTHON_ONLY_SPACE = '\x1c\x1d\x1e\x1f\x85';

/** Why a line JSON.parse refused is not a message, when it is one of the invisible cases; else undefined. */
function notJsonReason(text: string): string | undefined {
  if (text.startsWith(BOM)) return 'not a JSON Singer message: it starts with a byte order mark (U+FEFF), allowed only at the very start of the input';
  if (![...text].every((c) => c.trim() === '' || PYTHON_ONLY_SPACE.includes(c))) return undefined;
  const chars = [...new Set(text)].filter((c) => c !== ' ' && c !== '\t' && c !== '\r');
  const names = chars.slice(0, 4).map((c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  return `not a JSON Singer message: the line holds only invisible characters (${names.join(', ')}); a blank line may hold only spaces, tabs and CR`;
}

/**
 * A line's text, refusing bytes that are not UTF-8 (a decoder that replaced them with U+FFFD would
 * let two keys that differ only in their bad bytes merge into one row). A \r before the line's end
 * is dropped. Throws DataError naming the line.
 */
export function decodeUtf8Line(bytes: Buffer, line: number): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 13) end--;
  const body = bytes.subarray(0, end);
  if (!isUtf8(body)) {
    throw new DataError(`line ${line}: not valid UTF-8`, {
      context: { line },
      hint: 'Singer messages are UTF-8 JSON; fix the encoding in the producer (this line and everything after it were not loaded).',
    });
  }
  return body.toString('utf8');
}

/**
 * Calls `each` with every line of a byte stream (its bytes without the \n, and its 1-based number),
 * awaiting it only when it returns a promise, so a line that needs no I/O costs no tick. Lines are
 * split on the 0x0A byte, never part of a multi-byte UTF-8 sequence; the bytes are views into the
 * stream's own chunks (fresh buffers, never reused).
 */
export async function forEachLine(input: Readable, each: (bytes: Buffer, line: number) => Promise<void> | undefined, readTail: () => boolean = () => true): Promise<number> {
  let line = 0;
  let pending: Buffer[] = [];
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw as Buffer);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      let piece = chunk.subarray(start, nl);
      if (pending.length > 0) {
        pending.push(piece);
        piece = Buffer.concat(pending);
        pending = [];
      }
      start = nl + 1;
      const p = each(piece, ++line);
      if (p) await p;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  // A last line without its line break is read, unless the input was cut short (target/stop-input.ts).
  if (pending.length > 0 && readTail()) {
    const p = each(Buffer.concat(pending), ++line);
    if (p) await p;
  }
  return line;
}

/**
 * Yields each message with its line number. Blank lines (isBlankLine) are skipped, and a byte order
 * mark at the very start. The caller enforces stream
 * order rules (RECORD before SCHEMA) so it can name the stream; see `SchemaTracker`.
 */
export async function* readMessages(input: Readable): AsyncGenerator<NumberedMessage> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    const text = line === 1 && raw.startsWith(BOM) ? raw.slice(1) : raw;
    if (isBlankLine(text)) continue;
    yield { line, message: parseLine(text, line), bytes: Buffer.byteLength(text) + 1 };
  }
}

/** Enforces that a RECORD or ACTIVATE_VERSION only arrives for a stream whose SCHEMA was seen. */
export class SchemaTracker {
  private readonly seen = new Set<string>();

  check({ line, message }: NumberedMessage): void {
    if (message.type === 'SCHEMA') {
      this.seen.add(message.stream);
      return;
    }
    if ((message.type === 'RECORD' || message.type === 'ACTIVATE_VERSION') && !this.seen.has(message.stream)) {
      throw new DataError(`line ${line}: ${message.type} for stream "${message.stream}" arrived before its SCHEMA`, {
        context: { line, stream: message.stream },
        hint: 'A Singer tap must emit SCHEMA for a stream before its records.',
      });
    }
  }
}
