// Lossless JSON for Singer lines: JSON.parse rounds every number beyond 2^53 (and long decimals)
// before any type check can see it. Lines with such a number are parsed with lossless-json, which
// keeps the literal as a LosslessNumber; every other line takes the fast native path (a number of
// at most 15 significant digits without exponent survives a double exactly, DBL_DIG).
import { isLosslessNumber, isSafeNumber, LosslessNumber, parse as losslessParse, stringify as losslessStringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

/**
 * A number literal in value position that may not survive a double: 16+ characters of digits and
 * dots, or an exponent. Inside a string it only costs the slow path, never a wrong value.
 */
const MAYBE_UNSAFE = /[:,[]\s*-?(?:\d[\d.]{15,}|[\d.]+[eE])/;

const keepUnsafe = (literal: string): number | LosslessNumber => (isSafeNumber(literal) ? Number(literal) : new LosslessNumber(literal));

export interface ExactParse {
  value: unknown;
  /** True when some number was kept as a LosslessNumber (the value then needs stringifyExact). */
  exact: boolean;
}

/** Every JSON string token, or a number token outside strings. */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
/** A noncharacter marks an unsafe literal carried through JSON.parse as a string; lines holding it take the library parser. */
const MARK = '\uFDD0';
const MARK_ESCAPED = /\\u[fF][dD][dD]0/;

/** Parses JSON text; numbers a double cannot carry exactly stay LosslessNumber. Throws SyntaxError. */
export function parseExact(text: string): ExactParse {
  if (!MAYBE_UNSAFE.test(text)) return { value: JSON.parse(text) as unknown, exact: false };
  if (text.includes(MARK) || MARK_ESCAPED.test(text)) return parseWithLibrary(text);
  // Fast exact path (lossless-json's own parser is ~10x slower than JSON.parse here): unsafe number
  // tokens become marked strings, JSON.parse does the rest, and the marks become LosslessNumbers.
  let exact = false;
  const marked = text.replace(TOKEN, (tok) => {
    if (tok.charCodeAt(0) === 34 || isSafeNumber(tok)) return tok;
    exact = true;
    return `"${MARK}${tok}"`;
  });
  const value = JSON.parse(marked) as unknown;
  return { value: exact ? unmark(value) : value, exact };
}

function unmark(v: unknown): unknown {
  if (typeof v === 'string') return v.charCodeAt(0) === 0xfdd0 ? new LosslessNumber(v.slice(1)) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = unmark(v[i]);
    return v;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = unmark(o[k]);
  }
  return v;
}

function parseWithLibrary(text: string): ExactParse {
  let exact = false;
  const value = losslessParse(text, null, (literal) => {
    const n = keepUnsafe(literal);
    if (typeof n !== 'number') exact = true;
    return n;
  });
  return { value, exact };
}

/** JSON text of a value that may hold LosslessNumbers (written digit for digit). */
export function stringifyExact(value: unknown, exact = true): string {
  if (!exact) return JSON.stringify(value);
  const text = losslessStringify(value);
  if (text === undefined) throw new TypeError('value cannot be written as JSON');
  return text;
}

/** A deep copy of a JSON value that keeps LosslessNumbers (immutable, so shared) exactly as they are. */
export function cloneExact<T>(value: T): T {
  if (isLosslessNumber(value)) return value;
  if (Array.isArray(value)) return value.map(cloneExact) as T;
  // fromEntries defines own properties: a key named __proto__ stays a key (assignment would set the prototype).
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneExact(v)])) as T;
  return value;
}

/** JSON text to a value without rounding any number (see parseExact); throws SyntaxError. */
export const parseJsonExact = (text: string): unknown => parseExact(text).value;

/** A copy with LosslessNumbers as (rounded) numbers: for type checks that only need "is a number". */
export function approximate(value: unknown): unknown {
  if (isLosslessNumber(value)) return Number((value as LosslessNumber).value);
  if (Array.isArray(value)) return value.map(approximate);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, approximate(v)]));
  return value;
}
