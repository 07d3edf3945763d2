// The record mapper's fast path: a stream's SCHEMA and columns compiled into one pass over a RECORD
// line's UTF-8 bytes that validates it and writes its NDJSON row, with no JSON.parse, no objects
// and no re-serialisation. It accepts only what it fully understands (a subset of JSON Schema, the
// common value spellings) and then writes the very bytes the full path would (map-batch.ts: parse,
// ajv, toRow, stringify); anything else — an unknown keyword or key, an escape it does not copy, a
// number it would have to reformat, a value the full path refuses — answers FALLBACK, and the full
// path maps that line as always (and names its error). Why: parsing, validating and re-serialising
// each ~2 KiB insights row cost the map worker ~27 µs of its ~33 (issue 20's profile, 2026-12-01).
import type { MappedField } from './fields.js';
import { DECIMAL_FORMATS } from './fields.js';
import { isCalendarDay, NUMERIC_INTEGER_DIGITS, NUMERIC_SCALE } from './rows.js';

/** What mapping one line gave. */
export const FALLBACK = 0;
export const WRITTEN = 1;
export const STALE = 2;
export type FastResult = typeof FALLBACK | typeof WRITTEN | typeof STALE;

/** Where rows are written: `reserve` returns a buffer with at least `bytes` free from `at`. */
export interface RowSink {
  reserve(bytes: number): { buf: Buffer; at: number } | undefined;
  commit(end: number): void;
}

/** Per-line values the row's _sdc columns take (map-batch.ts's RowMeta, as bytes). */
export interface FastLine {
  line: number;
  /** The _sdc_received_at and _sdc_batched_at values as JSON (quoted) bytes. */
  receivedAt: Buffer;
  batchedAt: Buffer;
  /** The table's activated version: records of an older version are stale. */
  activated: bigint | undefined;
}

// JSON types a schema node allows (bit per type).
const T_STRING = 1;
const T_INTEGER = 2;
const T_NUMBER = 4;
const T_BOOLEAN = 8;
const T_NULL = 16;
const T_OBJECT = 32;
const T_ARRAY = 64;
const T_ANY = 127;
const TYPE_BITS: Record<string, number> = { string: T_STRING, integer: T_INTEGER, number: T_NUMBER | T_INTEGER, boolean: T_BOOLEAN, null: T_NULL, object: T_OBJECT, array: T_ARRAY };

// String checks a node asks of its values.
const F_NONE = 0;
const F_DATE = 1;
const F_DATE_TIME = 2;
const F_DECIMAL = 3;
/** A format this path does not check itself: any string value of the node falls back. */
const F_OTHER = 4;

/** The tap's decimal pattern (schemas/): checked on the bytes; any other pattern runs as a RegExp. */
const DECIMAL_PATTERN = '^-?[0-9]+(\\.[0-9]+)?$';

/** Keywords that only annotate: they never make a value valid or invalid. */
// $schema, ids and definitions change nothing without a $ref (not supported: such a schema has no fast path).
const ANNOTATIONS = new Set(['description', 'title', '$comment', 'examples', 'default', 'readOnly', 'writeOnly', 'deprecated', 'inclusion', 'selected', 'selected-by-default', '$schema', '$id', 'id', 'definitions', '$defs']);
const SUPPORTED = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'format', 'pattern', ...ANNOTATIONS]);

interface Prop {
  key: Buffer;
  node: Node;
}

interface Node {
  types: number;
  format: number;
  /** 1: the decimal pattern on bytes; a RegExp: that pattern; undefined: none. */
  pattern: 1 | RegExp | undefined;
  props: Prop[] | undefined;
  /** Listed keys an object must hold to be taken here (its `required`, and see compileNode). */
  required: number[];
  /** additionalProperties false: an unknown key is refused (the full path names it). */
  closed: boolean;
  items: Node | undefined;
  /** Stamp of the object that last saw each property (duplicate keys); a double never wraps. */
  seen: Float64Array;
  /**
   * The key that followed each property last time (hint[k + 1]; hint[0]: the first key): a
   * producer writes its keys in one order, so the next key is tried first (a search over the
   * listed keys for each key was ~28 % of this path's time).
   */
  hint: Int32Array;
  /**
   * The listed keys by a hash of their bytes (open addressing: property index + 1, 0 empty), for a
   * key the hint misses: a scan of every listed key made an object of n keys in a varying order cost
   * n² compares (8,000 keys with a shared prefix: 2.4 s a line, where the full path takes 11 ms).
   */
  table: Int32Array;
}

/**
 * A SCHEMA node compiled, or undefined when it uses a keyword this path does not check. `nested`:
 * below the record, where an object's keys are copied in their order (a JSON column) — JavaScript
 * puts array-index keys first, so the full path's copy would differ.
 */
function compileNode(schema: unknown, nested = false): Node | undefined {
  if (schema === true || (typeof schema === 'object' && schema !== null && Object.keys(schema).length === 0)) return anyNode();
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const s = schema as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!SUPPORTED.has(k)) return undefined;
  let types = T_ANY;
  const t = s['type'];
  if (t !== undefined) {
    const list = Array.isArray(t) ? t : [t];
    types = 0;
    for (const name of list) {
      const bit = typeof name === 'string' ? TYPE_BITS[name] : undefined;
      if (bit === undefined) return undefined;
      types |= bit;
    }
  }
  const f = s['format'];
  const format = f === undefined ? F_NONE : f === 'date' ? F_DATE : f === 'date-time' ? F_DATE_TIME : typeof f === 'string' && DECIMAL_FORMATS.has(f) ? F_DECIMAL : F_OTHER;
  const p = s['pattern'];
  let pattern: Node['pattern'];
  if (p !== undefined) {
    if (typeof p !== 'string') return undefined;
    try {
      pattern = p === DECIMAL_PATTERN ? 1 : new RegExp(p, 'u');
    } catch {
      return undefined;
    }
  }
  let props: Prop[] | undefined;
  const ps = s['properties'];
  if (ps !== undefined) {
    if (typeof ps !== 'object' || ps === null || Array.isArray(ps)) return undefined;
    props = [];
    for (const [name, sub] of Object.entries(ps as Record<string, unknown>)) {
      if (nested && isIndexName(name)) return undefined;
      const node = compileNode(sub, true);
      if (!node) return undefined;
      props.push({ key: Buffer.from(name, 'utf8'), node });
    }
  }
  const req = s['required'] ?? [];
  if (!Array.isArray(req)) return undefined;
  const required: number[] = [];
  for (const r of req) {
    const i = props?.findIndex((x) => x.key.toString('utf8') === r) ?? -1;
    // A required key the node does not list: any object lacking it is refused, one holding it unknown here.
    if (i < 0) return undefined;
    required.push(i);
  }
  const ap = s['additionalProperties'];
  // A schema for additional properties: an unlisted key falls back anyway, so only `false` matters.
  if (ap !== undefined && typeof ap !== 'boolean' && (typeof ap !== 'object' || ap === null)) return undefined;
  let items: Node | undefined;
  if (s['items'] !== undefined) {
    if (Array.isArray(s['items'])) return undefined;
    items = compileNode(s['items'], true);
    if (!items) return undefined;
  }
  return { types, format, pattern, props, required, closed: ap === false, items, seen: new Float64Array(props?.length ?? 0), hint: new Int32Array((props?.length ?? 0) + 1), table: keyTable(props ?? []) };
}

const anyNode = (): Node => ({ types: T_ANY, format: F_NONE, pattern: undefined, props: undefined, required: [], closed: false, items: undefined, seen: new Float64Array(0), hint: new Int32Array(1), table: keyTable([]) });

/** FNV-1a of bytes [s, e), as a 32-bit integer. */
function hashBytes(b: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let j = s; j < e; j++) h = Math.imul(h ^ b[j]!, 0x01000193);
  return h >>> 0;
}

/** Node['table'] for `props`: a power of two at least twice their number, so probes stay short. */
function keyTable(props: readonly Prop[]): Int32Array {
  let size = 2;
  while (size < props.length * 2) size *= 2;
  const table = new Int32Array(size);
  props.forEach((p, k) => {
    let at = hashBytes(p.key, 0, p.key.length) & (size - 1);
    while (table[at] !== 0) at = (at + 1) & (size - 1);
    table[at] = k + 1;
  });
  return table;
}

/** Whether a name is an array index: JavaScript orders such keys first, so the full path's row would too. */
const isIndexName = (name: string): boolean => /^(0|[1-9]\d{0,9})$/.test(name) && Number(name) < 2 ** 32 - 1;

// How a column's value is written.
const E_NULL_ONLY = 0;
const E_STRING = 1;
const E_INT64 = 2;
const E_NUMERIC = 3;
const E_BOOL = 4;
const E_DATE = 5;
const E_TIMESTAMP = 6;
const E_JSON = 7;
/** A REPEATED STRING column whose SCHEMA items are strings only: the list is copied as it came. */
const E_STRING_LIST = 8;

function emitKind(f: MappedField, prop: Prop | undefined): number {
  if (f.mode === 'REPEATED') return f.type === 'STRING' && prop?.node.items !== undefined && (prop.node.items.types & ~T_STRING) === 0 ? E_STRING_LIST : E_NULL_ONLY;
  switch (f.type) {
    case 'STRING':
      return E_STRING;
    case 'INT64':
      return E_INT64;
    case 'NUMERIC':
      return E_NUMERIC;
    case 'BOOL':
      return E_BOOL;
    case 'DATE':
      return E_DATE;
    case 'TIMESTAMP':
      return E_TIMESTAMP;
    case 'JSON':
      return E_JSON;
    default:
      return E_NULL_ONLY;
  }
}

// Token kinds the scanner reports.
const K_STRING = 1;
const K_INT = 2;
const K_TRUE = 3;
const K_FALSE = 4;
const K_NULL = 5;
const K_OBJECT = 6;
const K_ARRAY = 7;

/** JSON nesting this path follows; deeper values fall back (the full path checks MAX_JSON_DEPTH). */
const MAX_DEPTH = 32;

/** Thrown inside a scan to fall back; caught once per line. */
const FAIL = new Error('fast path: fall back');

const ENVELOPE = ['type', 'stream', 'record', 'version', 'time_extracted'].map((k) => Buffer.from(k));
const RECORD_BYTES = Buffer.from('RECORD');

/** Column meta the row writer needs. */
interface Column {
  /** `"name":` as bytes (with a leading comma for every column but the first). */
  head: Buffer;
  kind: number;
  /** Index of the record property it reads, or -1. */
  prop: number;
  special: 0 | 'received' | 'batched' | 'extracted' | 'version';
}

/**
 * A compiled fast path for one stream's SCHEMA and columns. `map` handles one RECORD line body
 * (UTF-8 checked, CR stripped) and answers WRITTEN (its row is in the sink), STALE (its version is
 * older than the activated one: nothing written) or FALLBACK (the full path must map it).
 */
export class FastRowMapper {
  private readonly root: Node;
  private readonly columns: Column[];
  private readonly keyProps: number[];
  private readonly accountProp: number;
  private readonly extractedProp: number;
  private readonly versionProp: number;
  private readonly streamBytes: Buffer;
  private readonly fixedBytes: number;
  private readonly tail = Buffer.from(',"_sdc_sequence":');
  // Scan state.
  private b: Buffer = Buffer.alloc(0);
  private i = 0;
  private n = 0;
  private stamp = 0;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly kind: Int8Array;
  private readonly spaced: Uint8Array;
  private spaces = false;
  private lastAccountBytes: Buffer | undefined;
  /** The account of the last record mapped (RecordCounts), or undefined. */
  account: string | undefined;
  /** The version of the last record found STALE. */
  version: bigint | undefined;

  private constructor(root: Node, fields: readonly MappedField[], keySources: readonly string[], stream: string) {
    this.root = root;
    const props = root.props!;
    const byName = new Map(props.map((p, i) => [p.key.toString('utf8'), i]));
    const indexOf = (name: string): number => byName.get(name) ?? -1;
    this.columns = fields.map((f, i) => {
      const head = Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`, 'utf8');
      const special = f.name === '_sdc_received_at' ? 'received' : f.name === '_sdc_batched_at' ? 'batched' : f.name === '_sdc_extracted_at' ? 'extracted' : f.name === '_sdc_table_version' ? 'version' : 0;
      const prop = f.source === undefined ? -1 : indexOf(f.source);
      return { head, kind: emitKind(f, props[prop]), prop, special };
    });
    this.keyProps = keySources.map(indexOf);
    this.accountProp = indexOf('account_id');
    this.extractedProp = indexOf('_sdc_extracted_at');
    this.versionProp = indexOf('_sdc_table_version');
    this.streamBytes = Buffer.from(stream, 'utf8');
    // Per column: its head and a null, a colon added to an offset or a decimal's quotes (8 bytes
    // cover each); the batch time once; the sequence; slack.
    this.fixedBytes = this.columns.reduce((sum, c) => sum + c.head.length + 8, 0) + this.tail.length + 160;
    this.start = new Int32Array(props.length);
    this.end = new Int32Array(props.length);
    this.kind = new Int8Array(props.length);
    this.spaced = new Uint8Array(props.length);
  }

  /**
   * The fast path for a stream, or undefined when its SCHEMA or columns are outside what it handles
   * (the full path then maps every line).
   */
  static compile(schema: Record<string, unknown>, fields: readonly MappedField[], keySources: readonly string[], stream: string): FastRowMapper | undefined {
    const root = compileNode(schema);
    if (!root || !root.props || !(root.types & T_OBJECT)) return undefined;
    const names = new Set(root.props.map((p) => p.key.toString('utf8')));
    if (names.has('__proto__')) return undefined;
    for (const f of fields) {
      if (isIndexName(f.name) || f.name === '_sdc_sequence') return undefined;
    }
    for (const k of keySources) if (!names.has(k)) return undefined;
    return new FastRowMapper(root, fields, keySources, stream);
  }

  /** Maps one line; see the class. */
  map(body: Buffer, at: FastLine, sink: RowSink): FastResult {
    // The full path refuses a row of MAX_ROW_BYTES and names it.
    if (body.length >= LARGEST_LINE) return FALLBACK;
    this.b = body;
    this.i = 0;
    this.n = body.length;
    let version: bigint | undefined;
    let versionStart = -1;
    let versionEnd = -1;
    let teStart = -1;
    let teEnd = -1;
    try {
      this.ws();
      this.expect(123);
      let seen = 0;
      let first = true;
      for (;;) {
        this.ws();
        if (this.b[this.i] === 125 && first) {
          this.i++;
          break;
        }
        first = false;
        const k = this.key(ENVELOPE);
        if (k < 0 || seen & (1 << k)) throw FAIL;
        seen |= 1 << k;
        this.ws();
        this.expect(58);
        this.ws();
        const s = this.i;
        switch (k) {
          case 0: {
            if (this.scanString() !== 0 || !this.equals(s + 1, this.i - 1, RECORD_BYTES)) throw FAIL;
            break;
          }
          case 1:
            if (this.scanString() !== 0 || !this.equals(s + 1, this.i - 1, this.streamBytes)) throw FAIL;
            break;
          case 2:
            this.record();
            break;
          case 3:
            if (this.b[s] === 45 || this.scanScalar() !== K_INT) throw FAIL;
            versionStart = s;
            versionEnd = this.i;
            version = BigInt(this.b.toString('latin1', s, this.i));
            break;
          case 4:
            // A time_extracted that is not a plain string is refused only when used (the full path's rule).
            if (this.b[s] !== 34) throw FAIL;
            if (this.scanString() !== 0) throw FAIL;
            teStart = s;
            teEnd = this.i;
            break;
        }
        this.ws();
        const c = this.b[this.i++];
        if (c === 125) break;
        if (c !== 44) throw FAIL;
      }
      this.ws();
      if (this.i !== this.n || (seen & 7) !== 7) throw FAIL;
      for (const p of this.keyProps) {
        const kk = this.kind[p];
        if (this.start[p]! < 0 || kk === K_NULL || (kk === K_STRING && this.end[p]! - this.start[p]! === 2)) throw FAIL;
      }
      this.readAccount();
      if (version !== undefined && at.activated !== undefined && version < at.activated) {
        this.version = version;
        return STALE;
      }
      return this.write(at, sink, versionStart, versionEnd, teStart, teEnd);
    } catch (err) {
      if (err === FAIL) return FALLBACK;
      throw err;
    }
  }

  private readAccount(): void {
    const p = this.accountProp;
    if (p < 0 || this.start[p]! < 0 || this.kind[p] !== K_STRING || this.end[p]! - this.start[p]! === 2) {
      this.account = undefined;
      this.lastAccountBytes = undefined;
      return;
    }
    const s = this.start[p]! + 1;
    const e = this.end[p]! - 1;
    const last = this.lastAccountBytes;
    if (last && this.equals(s, e, last)) return;
    // An escaped id would be decoded by the full path: only a plain one is read here.
    for (let j = s; j < e; j++) if (this.b[j] === 92) throw FAIL;
    this.lastAccountBytes = Buffer.from(this.b.subarray(s, e));
    this.account = this.b.toString('utf8', s, e);
  }

  /** The record object: each listed property's value checked against its node and its range kept. */
  private record(): void {
    this.start.fill(-1);
    if (this.b[this.i] !== 123) throw FAIL;
    this.object(this.root, 1, true);
  }

  /** A value checked against `node`; returns its kind. */
  private value(node: Node, depth: number): number {
    const c = this.b[this.i];
    if (c === 34) {
      if (!(node.types & T_STRING)) throw FAIL;
      const s = this.i;
      const escaped = this.scanString();
      if (node.format !== F_NONE || node.pattern !== undefined) {
        if (escaped) throw FAIL;
        this.checkString(node, s + 1, this.i - 1);
      }
      return K_STRING;
    }
    if (c === 123) {
      if (!(node.types & T_OBJECT) || depth >= MAX_DEPTH) throw FAIL;
      this.object(node, depth + 1);
      return K_OBJECT;
    }
    if (c === 91) {
      if (!(node.types & T_ARRAY) || depth >= MAX_DEPTH) throw FAIL;
      this.array(node.items, depth + 1);
      return K_ARRAY;
    }
    const k = this.scanScalar();
    const need = k === K_INT ? T_INTEGER : k === K_NULL ? T_NULL : T_BOOLEAN;
    if (!(node.types & need)) throw FAIL;
    return k;
  }

  /**
   * An object: only listed keys, each once; its required ones present. `top`: the record itself,
   * whose values' ranges, kinds and whitespace are kept for the row.
   */
  private object(node: Node, depth: number, top = false): void {
    const props = node.props;
    // An object without listed properties (any keys): duplicates cannot be told cheaply.
    if (!props) throw FAIL;
    const stamp = ++this.stamp;
    this.i++;
    this.ws();
    if (this.b[this.i] === 125) {
      this.i++;
    } else {
      for (let prev = -1; ;) {
        this.ws();
        const k = this.propKey(node, prev);
        prev = k;
        if (k < 0 || node.seen[k] === stamp) throw FAIL;
        node.seen[k] = stamp;
        this.ws();
        this.expect(58);
        this.ws();
        if (top) {
          const s = this.i;
          this.spaces = false;
          this.kind[k] = this.value(props[k]!.node, depth);
          this.start[k] = s;
          this.end[k] = this.i;
          this.spaced[k] = this.spaces ? 1 : 0;
        } else this.value(props[k]!.node, depth);
        this.ws();
        const c = this.b[this.i++];
        if (c === 125) break;
        if (c !== 44) throw FAIL;
      }
    }
    for (const r of node.required) if (node.seen[r] !== stamp) throw FAIL;
  }

  private array(items: Node | undefined, depth: number): void {
    const node = items ?? ANY;
    this.i++;
    this.ws();
    if (this.b[this.i] === 93) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      this.value(node, depth);
      this.ws();
      const c = this.b[this.i++];
      if (c === 93) return;
      if (c !== 44) throw FAIL;
    }
  }

  /** Skips JSON whitespace; notes that a value held some (its bytes then differ from a compact copy). */
  private ws(): void {
    const b = this.b;
    let i = this.i;
    for (let c = b[i]; c === 32 || c === 9 || c === 10 || c === 13; c = b[++i]) this.spaces = true;
    this.i = i;
  }

  private expect(c: number): void {
    if (this.b[this.i] !== c) throw FAIL;
    this.i++;
  }

  /**
   * A string token from its quote; returns 1 when it holds an escape, 0 when not. Only the escapes
   * JSON.stringify writes itself are taken (\" \\ \b \f \n \r \t), so a copied string is the full
   * path's; \u and \/ fall back, as do raw control characters (not JSON).
   */
  private scanString(): number {
    const b = this.b;
    let i = this.i + 1;
    let escaped = 0;
    for (;;) {
      const c = b[i];
      if (c === 34) break;
      if (c === undefined || c < 32) throw FAIL;
      if (c === 92) {
        const e = b[i + 1];
        if (e !== 34 && e !== 92 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) throw FAIL;
        escaped = 1;
        i += 2;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    return escaped;
  }

  /** A number, true, false or null; numbers only as plain integers a double holds (else fall back). */
  private scanScalar(): number {
    const b = this.b;
    const s = this.i;
    const c = b[s];
    if (c === 116) return this.word(s, TRUE_BYTES, K_TRUE);
    if (c === 102) return this.word(s, FALSE_BYTES, K_FALSE);
    if (c === 110) return this.word(s, NULL_BYTES, K_NULL);
    let i = s;
    if (c === 45) i++;
    const d0 = i;
    if (b[i] === 48) i++;
    else while (b[i]! >= 48 && b[i]! <= 57) i++;
    const digits = i - d0;
    // -0, fractions, exponents and 16+ digits are rewritten by the full path (or are not JSON).
    if (digits === 0 || digits > 15 || (c === 45 && b[d0] === 48)) throw FAIL;
    const next = b[i];
    if (next === 46 || next === 101 || next === 69 || (next !== undefined && next >= 48 && next <= 57)) throw FAIL;
    this.i = i;
    return K_INT;
  }

  private word(s: number, w: Buffer, k: number): number {
    if (!this.equals(s, s + w.length, w)) throw FAIL;
    this.i = s + w.length;
    return k;
  }

  private equals(s: number, e: number, w: Buffer): boolean {
    if (e - s !== w.length || e > this.n) return false;
    const b = this.b;
    for (let j = 0; j < w.length; j++) if (b[s + j] !== w[j]) return false;
    return true;
  }

  /** A key among `keys` (index), or -1 for any other key; consumes the key's token. */
  private key(keys: readonly Buffer[]): number {
    if (this.b[this.i] !== 34) throw FAIL;
    const s = this.i + 1;
    if (this.scanString() !== 0) throw FAIL;
    const e = this.i - 1;
    for (let k = 0; k < keys.length; k++) if (this.equals(s, e, keys[k]!)) return k;
    return -1;
  }

  /** A listed key of `node` (index), or -1; `prev` is the key before it in this object (-1: none). */
  private propKey(node: Node, prev: number): number {
    if (this.b[this.i] !== 34) throw FAIL;
    const s = this.i + 1;
    if (this.scanString() !== 0) throw FAIL;
    const e = this.i - 1;
    const props = node.props!;
    const guess = node.hint[prev + 1]!;
    if (guess < props.length && this.equals(s, e, props[guess]!.key)) return guess;
    const table = node.table;
    const mask = table.length - 1;
    for (let at = hashBytes(this.b, s, e) & mask; table[at] !== 0; at = (at + 1) & mask) {
      const k = table[at]! - 1;
      if (this.equals(s, e, props[k]!.key)) {
        node.hint[prev + 1] = k;
        return k;
      }
    }
    return -1;
  }

  /** A string value's format and pattern, on its bytes [s, e) (no escapes). */
  private checkString(node: Node, s: number, e: number): void {
    switch (node.format) {
      case F_DATE:
        if (!isDate(this.b, s, e)) throw FAIL;
        break;
      case F_DATE_TIME:
        if (timestampForm(this.b, s, e) === 0) throw FAIL;
        break;
      case F_DECIMAL:
        if (!isPlainDecimal(this.b, s, e)) throw FAIL;
        break;
      case F_OTHER:
        throw FAIL;
    }
    const p = node.pattern;
    if (p === 1) {
      if (!isPlainDecimal(this.b, s, e)) throw FAIL;
    } else if (p !== undefined) {
      p.lastIndex = 0;
      if (!p.test(this.b.toString('utf8', s, e))) throw FAIL;
    }
  }

  /** Writes the row; WRITTEN, or FALLBACK when a value needs the full path's conversion. */
  private write(at: FastLine, sink: RowSink, vStart: number, vEnd: number, teStart: number, teEnd: number): FastResult {
    const room = sink.reserve(this.n + this.fixedBytes + at.receivedAt.length + at.batchedAt.length);
    if (!room) return FALLBACK;
    const out = room.buf;
    const begin = room.at;
    let o = begin;
    const src = this.b;
    for (const col of this.columns) {
      o = copyBytes(col.head, 0, col.head.length, out, o);
      let p = col.prop;
      let s = 0;
      let e = 0;
      switch (col.special) {
        case 'received':
          o = copyBytes(at.receivedAt, 0, at.receivedAt.length, out, o);
          continue;
        case 'batched':
          o = copyBytes(at.batchedAt, 0, at.batchedAt.length, out, o);
          continue;
        case 'version':
          if (vStart >= 0) {
            o = copyBytes(src, vStart, vEnd, out, o);
            continue;
          }
          p = this.versionProp;
          break;
        case 'extracted': {
          const own = this.extractedProp;
          if (own >= 0 && this.start[own]! >= 0 && this.kind[own] !== K_NULL) p = own;
          else if (teStart >= 0) {
            s = teStart;
            e = teEnd;
            p = -2;
          } else p = -1;
          break;
        }
      }
      if (p >= 0) {
        if (this.start[p]! < 0) p = -1;
        else {
          s = this.start[p]!;
          e = this.end[p]!;
          if (this.kind[p] === K_NULL) p = -1;
        }
      }
      if (p === -1) {
        o = copyBytes(NULL_BYTES, 0, 4, out, o);
        continue;
      }
      const k = p === -2 ? K_STRING : this.kind[p]!;
      o = this.writeValue(col.kind, k, p >= 0 && this.spaced[p] === 1, s, e, out, o);
      if (o < 0) return FALLBACK;
    }
    o = copyBytes(this.tail, 0, this.tail.length, out, o);
    o = writeDigits(at.line, out, o);
    out[o++] = 125;
    out[o++] = 10;
    sink.commit(o);
    return WRITTEN;
  }

  /** One value in its column's form, or -1 when the full path must convert it. */
  private writeValue(kind: number, k: number, spaced: boolean, s: number, e: number, out: Buffer, o: number): number {
    const src = this.b;
    switch (kind) {
      case E_STRING:
        return k === K_STRING ? copyBytes(src, s, e, out, o) : -1;
      case E_INT64:
        return k === K_INT ? copyBytes(src, s, e, out, o) : -1;
      case E_BOOL:
        return k === K_TRUE || k === K_FALSE ? copyBytes(src, s, e, out, o) : -1;
      case E_NUMERIC:
        return k === K_STRING ? writeDecimal(src, s + 1, e - 1, out, o) : -1;
      case E_DATE:
        return k === K_STRING && isDate(src, s + 1, e - 1) ? copyBytes(src, s, e, out, o) : -1;
      case E_TIMESTAMP: {
        if (k !== K_STRING) return -1;
        const form = timestampForm(src, s + 1, e - 1);
        if (form === CANONICAL) return copyBytes(src, s, e, out, o);
        if (form === COLONLESS) {
          // Graph's +0000: the full path writes +00:00.
          o = copyBytes(src, s, e - 3, out, o);
          out[o++] = 58;
          return copyBytes(src, e - 3, e, out, o);
        }
        return -1;
      }
      case E_JSON:
        return spaced ? -1 : copyBytes(src, s, e, out, o);
      case E_STRING_LIST:
        return k === K_ARRAY && !spaced ? copyBytes(src, s, e, out, o) : -1;
      default:
        return -1;
    }
  }
}

const ANY = anyNode();
/** Lines this long go the full path, whose row size check (MAX_ROW_BYTES, 16 MiB) names an oversized row. */
const LARGEST_LINE = 8 * 2 ** 20;
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');
const NULL_BYTES = Buffer.from('null');

function copyBytes(src: Buffer, s: number, e: number, out: Buffer, o: number): number {
  const len = e - s;
  if (len > 48) {
    src.copy(out, o, s, e);
    return o + len;
  }
  for (let j = s; j < e; j++) out[o++] = src[j]!;
  return o;
}

function writeDigits(n: number, out: Buffer, o: number): number {
  if (n === 0) {
    out[o] = 48;
    return o + 1;
  }
  let len = 0;
  for (let x = n; x > 0; x = Math.floor(x / 10)) len++;
  for (let j = o + len - 1, x = n; j >= o; j--, x = Math.floor(x / 10)) out[j] = 48 + (x % 10);
  return o + len;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;

/** -?digits(.digits)? — the tap's decimal pattern, and a subset of every decimal format. */
function isPlainDecimal(b: Buffer, s: number, e: number): boolean {
  let i = s;
  if (b[i] === 45) i++;
  const d = i;
  while (i < e && isDigit(b[i])) i++;
  if (i === d) return false;
  if (i === e) return true;
  if (b[i] !== 46) return false;
  const f = ++i;
  while (i < e && isDigit(b[i])) i++;
  return i === e && i > f;
}

/**
 * A plain decimal string [s, e) written as rows.ts's normaliseDecimal writes it (quoted): leading
 * zeros and trailing fraction zeros dropped, "-0" as "0"; -1 when it is not plain or would need
 * rounding or more digits than NUMERIC holds.
 */
function writeDecimal(b: Buffer, s: number, e: number, out: Buffer, o: number): number {
  if (!isPlainDecimal(b, s, e)) return -1;
  const neg = b[s] === 45;
  let i = neg ? s + 1 : s;
  let point = i;
  while (point < e && b[point] !== 46) point++;
  while (i < point - 1 && b[i] === 48) i++;
  let fe = e;
  if (point < e) {
    while (fe > point + 1 && b[fe - 1] === 48) fe--;
    if (fe === point + 1) fe = point;
  }
  const intDigits = point - i;
  const fracDigits = fe > point ? fe - point - 1 : 0;
  if (intDigits > NUMERIC_INTEGER_DIGITS || fracDigits > NUMERIC_SCALE) return -1;
  const zero = intDigits === 1 && b[i] === 48 && fracDigits === 0;
  out[o++] = 34;
  if (neg && !zero) out[o++] = 45;
  o = copyBytes(b, i, fe, out, o);
  out[o++] = 34;
  return o;
}

function num2(b: Buffer, i: number): number {
  const x = b[i]! - 48;
  const y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** YYYY-MM-DD, a real calendar day in years 0001-9999. */
function isDate(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return false;
  const hi = num2(b, s);
  const lo = num2(b, s + 2);
  const m = num2(b, s + 5);
  const d = num2(b, s + 8);
  return hi >= 0 && lo >= 0 && isCalendarDay(hi * 100 + lo, m, d);
}

const CANONICAL = 1;
const COLONLESS = 2;

/**
 * A timestamp the full path writes as it came (CANONICAL: YYYY-MM-DDTHH:MM:SS[.1-6 digits] with Z,
 * ±HH:MM or no offset) or with a colon added to its ±HHMM offset (COLONLESS); 0 for any other
 * spelling, a year at either end of the range, an offset beyond ±14:00 or more than 6 fraction digits.
 */
function timestampForm(b: Buffer, s: number, e: number): number {
  if (e - s < 19 || !isDate(b, s, s + 10) || b[s + 10] !== 84 || b[s + 13] !== 58 || b[s + 16] !== 58) return 0;
  const y = num2(b, s) * 100 + num2(b, s + 2);
  if (y === 1 || y === 9999) return 0;
  const h = num2(b, s + 11);
  const mi = num2(b, s + 14);
  const sec = num2(b, s + 17);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return 0;
  let i = s + 19;
  if (b[i] === 46) {
    const f = ++i;
    while (i < e && isDigit(b[i])) i++;
    if (i === f || i - f > 6) return 0;
  }
  if (i === e) return CANONICAL;
  const c = b[i];
  if (c === 90) return i + 1 === e ? CANONICAL : 0;
  if (c !== 43 && c !== 45) return 0;
  const oh = num2(b, i + 1);
  if (oh < 0) return 0;
  let om: number;
  let form: number;
  if (e - i === 6 && b[i + 3] === 58) {
    om = num2(b, i + 4);
    form = CANONICAL;
  } else if (e - i === 5) {
    om = num2(b, i + 3);
    form = COLONLESS;
  } else return 0;
  if (om < 0 || om > 59 || oh * 60 + om > 14 * 60) return 0;
  return form;
}
