// The record validator's ajv: Singer's decimal formats and Graph's timestamp style added to the
// shared ajv setup, so the loader (checking a SCHEMA compiles) and the mappers (validating records)
// accept exactly the same values. A property named __proto__ is checked like any other (see below).
import type { ErrorObject, SchemaValidateFunction, ValidateFunction } from 'ajv';
import { isLosslessNumber } from 'lossless-json';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { newAjv } from '../core/config.js';
import { DECIMAL_FORMATS } from './fields.js';

/** A decimal literal as Singer's decimal formats carry it (sign, digits, optional exponent). */
export const DECIMAL_FORMAT_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/**
 * A timestamp as the target accepts it. Graph writes offsets as +0000; RFC 3339 wants +00:00. Both
 * are accepted (the row mapper normalises), so a valid Graph timestamp is not a data error
 * (singer-io/tap-facebook#52).
 */
export const DATE_TIME_FORMAT_PATTERN = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

export function newRecordAjv(): ReturnType<typeof newAjv> {
  // Quiet: a format ajv does not know is ignored (the column is a STRING, kept as sent); its warning
  // was a plain-text stderr line, twice (the loader's compile and the mapper's).
  // Own properties only: a record lacking "constructor" or "toString" must not pass `required`
  // (or a type) through Object.prototype's member of that name (rows.ts reads own values too).
  const ajv = newAjv({ quiet: true, ownProperties: true });
  for (const f of DECIMAL_FORMATS) ajv.addFormat(f, DECIMAL_FORMAT_PATTERN);
  ajv.addFormat('date-time', DATE_TIME_FORMAT_PATTERN);
  // A time without an offset, as the Meltano SDK's TimeType writes Python's time.isoformat()
  // ("12:00:00"): RFC 3339's full-time wants one, so every such record was refused. It is stored as
  // text either way (fields.ts), and a naive date-time is accepted for the same reason.
  ajv.addFormat('time', fullFormats['iso-time']);
  // multipleOf on decimals, as the tap meant them: ajv divides doubles, so 0.07 is no multiple of
  // 0.01 (7.000000000000001) and 0.1 none of 1e-06 — a valid record refused (taps derive multipleOf
  // from a column's scale: tap-postgres, singer-io tap-facebook's budgets).
  ajv.removeKeyword('multipleOf');
  ajv.addKeyword({ keyword: 'multipleOf', type: 'number', schemaType: 'number', validate: multipleOf, errors: true });
  return ajv;
}

/** A finite number as an exact decimal: its shortest round-trip digits as an integer and a power of ten. */
function decimalOf(n: number): { digits: bigint; exp: number } | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (!m) return undefined;
  const frac = m[3] ?? '';
  return { digits: BigInt(`${m[1]}${m[2]}${frac}`), exp: Number(m[4] ?? 0) - frac.length };
}

/** The multipleOf keyword, with ajv's own error message. */
const multipleOf: SchemaValidateFunction = (step: number, x: number): boolean => {
  const ok = isDecimalMultiple(step, x);
  multipleOf.errors = ok ? [] : [{ keyword: 'multipleOf', message: `must be multiple of ${step}`, params: { multipleOf: step } }];
  return ok;
};

/** Whether `x` is an integer multiple of `step`, both read as the decimals they print as. */
function isDecimalMultiple(step: number, x: number): boolean {
  const a = decimalOf(x);
  const b = decimalOf(step);
  if (!a || !b || b.digits === 0n) return false;
  const e = Math.min(a.exp, b.exp);
  return (a.digits * 10n ** BigInt(a.exp - e)) % (b.digits * 10n ** BigInt(b.exp - e)) === 0n;
}

/**
 * The SCHEMA as compiled: one naming a meta-schema ajv does not hold (draft-04, 2019-09, 2020-12,
 * copied by taps from their source's docs) is validated by the draft-07 rules without its
 * `$schema`: ajv refused to compile it, so the stream was refused whole. The keywords that shape
 * records (type, properties, items, format, anyOf, required, enum) mean the same in each draft.
 */
function knownMetaSchema(ajv: ReturnType<typeof newAjv>, schema: Record<string, unknown>): Record<string, unknown> {
  const meta = schema['$schema'];
  if (typeof meta !== 'string' || ajv.getSchema(meta)) return schema;
  const { $schema: _unknown, ...rest } = schema;
  return rest;
}

/** Keywords whose value is a map of names to subschemas (the names are data, never keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies', 'dependentSchemas']);
/** Keywords whose value is a subschema, or (items) a list of them. */
const SUBSCHEMAS = new Set(['items', 'additionalItems', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

/**
 * A schema with draft-04's own keyword forms in their draft-07 spelling, which ajv would refuse to
 * compile ("exclusiveMinimum must be number", 'keyword "id" not supported'): a boolean
 * exclusiveMinimum/exclusiveMaximum qualifies its minimum/maximum (true: the bound itself becomes
 * exclusive; false: nothing), and `id` names the schema as `$id` does. singer-python's taps and
 * schemas copied from draft-04 documents carry them. Only keyword positions are rewritten: a
 * property called "id" is data. The same schema is returned when nothing changes.
 */
export function draft07Form(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(draft07Form);
    return out.some((el, i) => el !== v[i]) ? out : v;
  }
  if (!v || typeof v !== 'object') return v;
  const s = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const set = (k: string, value: unknown): void => {
    out ??= { ...s };
    if (value === undefined) delete out[k];
    else out[k] = value;
  };
  for (const [k, el] of Object.entries(s)) {
    let next: unknown = el;
    if (SCHEMA_MAPS.has(k) && el && typeof el === 'object' && !Array.isArray(el)) {
      const entries = Object.entries(el).map(([name, sub]) => [name, draft07Form(sub)] as const);
      if (entries.some(([name, sub]) => sub !== (el as Record<string, unknown>)[name])) next = Object.fromEntries(entries);
    } else if (SUBSCHEMAS.has(k) || SCHEMA_LISTS.has(k)) next = draft07Form(el);
    if (next !== el) set(k, next);
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof s[flag] !== 'boolean') continue;
    if (s[flag] === true && typeof s[bound] === 'number') {
      set(flag, s[bound]);
      set(bound, undefined);
    } else set(flag, undefined);
  }
  if (typeof s['id'] === 'string' && s['$id'] === undefined) {
    set('$id', s['id']);
    set('id', undefined);
  }
  return out ?? s;
}

/** A compiled record validator; `errors` as ajv's, after a failed call. */
export interface RecordValidator {
  (record: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const PROTO = '__proto__';
/**
 * ajv never checks a property named __proto__: "properties" skips the name, "required" reads
 * `data.__proto__` (the prototype when the key is absent), "additionalProperties" calls it unknown.
 * So a schema naming it is compiled, and each record validated, with the name spelled PROTO_ALIAS
 * (a record that holds that key itself is refused: it would pass for __proto__).
 */
const PROTO_ALIAS = '\u0000__proto__';
/** Keywords mapping a property name to the names it requires (or, for dependencies, a schema). */
const NAME_MAPS = new Set(['dependentRequired', 'dependencies']);

const aliasName = (n: unknown): unknown => (n === PROTO ? PROTO_ALIAS : n);

/** The schema with every key __proto__, and __proto__ wherever a property name is listed, spelled PROTO_ALIAS. */
function aliasSchema(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(aliasSchema);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, el]) => [aliasName(k), k === 'required' && Array.isArray(el) ? el.map(aliasName) : NAME_MAPS.has(k) ? aliasNameMap(el) : aliasSchema(el)]));
}

function aliasNameMap(m: unknown): unknown {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return aliasSchema(m);
  return Object.fromEntries(Object.entries(m).map(([k, el]) => [aliasName(k), Array.isArray(el) ? el.map(aliasName) : aliasSchema(el)]));
}

class AliasClash extends Error {}

/** The record with every key __proto__ spelled PROTO_ALIAS (copied only where one occurs). */
function aliasRecord(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(aliasRecord);
    return out.some((el, i) => el !== v[i]) ? out : v;
  }
  if (!v || typeof v !== 'object' || isLosslessNumber(v)) return v;
  const o = v as Record<string, unknown>;
  if (Object.hasOwn(o, PROTO_ALIAS)) throw new AliasClash();
  let changed = Object.hasOwn(o, PROTO);
  const entries = Object.entries(o).map(([k, el]) => {
    const a = aliasRecord(el);
    if (a !== el) changed = true;
    return [k === PROTO ? PROTO_ALIAS : k, a] as const;
  });
  return changed ? Object.fromEntries(entries) : v;
}

const unalias = (s: string): string => s.split(PROTO_ALIAS).join(PROTO);

/** ajv's error with the alias spelled __proto__ again (paths and the property names in params). */
function unaliasError(e: ErrorObject): ErrorObject {
  const params = Object.fromEntries(Object.entries(e.params as Record<string, unknown>).map(([k, p]) => [k, typeof p === 'string' ? unalias(p) : p]));
  return { ...e, instancePath: unalias(e.instancePath), schemaPath: unalias(e.schemaPath), params, ...(e.message ? { message: unalias(e.message) } : {}) };
}

/**
 * ajv.compile, leaving nothing registered in the shared ajv: a SCHEMA's root `$id` (or draft-04 `id`)
 * is kept by ajv under that name, so a stream's SCHEMA re-sent with a column added, or a second stream
 * whose schema carries the same id, was refused ('schema with key or id … already exists', exit 6).
 * The compiled function keeps what it resolved.
 */
function compileAlone(ajv: ReturnType<typeof newAjv>, schema: Record<string, unknown>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

/** Compiles a SCHEMA's record validator; throws as ajv.compile does. */
export function compileRecordValidator(ajv: ReturnType<typeof newAjv>, given: Record<string, unknown>): RecordValidator {
  const schema = draft07Form(knownMetaSchema(ajv, given)) as Record<string, unknown>;
  if (!JSON.stringify(schema).includes(`"${PROTO}"`)) return compileAlone(ajv, schema);
  const inner = compileAlone(ajv, aliasSchema(schema) as Record<string, unknown>);
  const validate: RecordValidator = (record) => {
    let aliased: unknown;
    try {
      aliased = aliasRecord(record);
    } catch (err) {
      if (!(err instanceof AliasClash)) throw err;
      validate.errors = [{ instancePath: '', schemaPath: '#', keyword: 'propertyNames', params: {}, message: `must not hold a key named "\\u0000${PROTO}" (the target validates "${PROTO}" under that name)` }];
      return false;
    }
    const ok = inner(aliased);
    validate.errors = ok ? null : (inner.errors ?? []).map(unaliasError);
    return ok;
  };
  return validate;
}
