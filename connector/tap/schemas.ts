// Stream schemas: schemas/streams/<stream>.json with their fragment $refs inlined (SCHEMA messages and
// catalog.json must be self-contained because targets do not resolve refs), and insights schemas
// composed as the level's base schema + the breakdown columns a report names.
import path from 'node:path';
import { readJsonFile, REPO_ROOT, type JsonObject } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { JsonSchema } from '../singer/messages.js';

export const SCHEMA_DIR = path.join(REPO_ROOT, 'schemas');
/** Marks a money/ratio decimal string (Meltano SDK convention); targets map it to NUMERIC. */
export const DECIMAL_FORMAT = 'singer.decimal';

const cache = new Map<string, JsonSchema>();

function inline(node: unknown, baseDir: string): unknown {
  if (Array.isArray(node)) return node.map((n) => inline(n, baseDir));
  if (!node || typeof node !== 'object') return node;
  const obj = node as JsonObject;
  if (typeof obj['$ref'] === 'string') {
    const file = path.resolve(baseDir, obj['$ref']);
    const target = readJsonFile(file, 'Schema fragment') as JsonObject;
    const { $schema: _s, $id: _i, title: _t, ...body } = target;
    const { $ref: _r, ...siblings } = obj;
    return inline({ ...body, ...siblings }, path.dirname(file));
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, inline(v, baseDir)]));
}

/**
 * The schema of a stream file, refs inlined, `$schema`/`$id` dropped (they mean nothing to a target).
 * `file` names schemas/streams/<file>.json; an absolute path (without .json) is a schema kept elsewhere.
 */
export function loadStreamSchema(file: string): JsonSchema {
  let s = cache.get(file);
  if (!s) {
    const full = path.resolve(SCHEMA_DIR, 'streams', `${file}.json`);
    const { $schema: _s, $id: _i, ...body } = readJsonFile(full, `Schema of stream ${file}`) as JsonObject;
    s = inline(body, path.dirname(full)) as JsonSchema;
    cache.set(file, s);
  }
  return structuredClone(s);
}

export function loadFragment(name: string): JsonObject {
  const full = path.join(SCHEMA_DIR, 'fragments', `${name}.json`);
  return inline(readJsonFile(full, `Schema fragment ${name}`), path.dirname(full)) as JsonObject;
}

export const propertiesOf = (schema: JsonSchema): Record<string, JsonObject> => (schema['properties'] ?? {}) as Record<string, JsonObject>;

/** Breakdown columns known to the fragment; a report naming another one is a config error. */
export function breakdownProperties(): Record<string, JsonObject> {
  return (loadFragment('insights_breakdowns')['properties'] ?? {}) as Record<string, JsonObject>;
}

/** Base insights schema + the named breakdown columns (required, so the derived key is never null). */
export function composeInsightsSchema(base: JsonSchema, breakdowns: readonly string[], streamName: string): JsonSchema {
  if (breakdowns.length === 0) return base;
  const known = breakdownProperties();
  const props = { ...propertiesOf(base) };
  for (const b of breakdowns) {
    const p = known[b];
    if (!p) {
      throw new ConfigError(`insights report "${streamName}" names an unknown breakdown "${b}"`, {
        hint: `Known breakdowns: ${Object.keys(known).join(', ')}. A new one is one property in schemas/fragments/insights_breakdowns.json.`,
      });
    }
    props[b] = p;
  }
  const required = [...new Set([...((base['required'] as string[] | undefined) ?? []), ...breakdowns])];
  return { ...base, properties: props, required };
}

export type Coercion = 'integer' | 'number' | 'decimal' | 'datetime' | 'date' | 'stat_list' | 'none';

/** How a Graph value is turned into the schema's type (Graph sends numbers as strings, facts §0.2). */
export function coercionOf(prop: JsonObject | undefined): Coercion {
  if (!prop) return 'none';
  const types = ([] as unknown[]).concat(prop['type'] ?? []);
  if (prop['format'] === DECIMAL_FORMAT) return 'decimal';
  if (prop['format'] === 'date-time') return 'datetime';
  if (prop['format'] === 'date') return 'date';
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  // A list of objects whose open-ended keys are strings: AdsActionStats (`value`, `7d_click`, …).
  const items = prop['items'] as JsonObject | undefined;
  const extra = items?.['additionalProperties'] as JsonObject | undefined;
  if (types.includes('array') && extra && ([] as unknown[]).concat(extra['type'] ?? []).includes('string')) return 'stat_list';
  return 'none';
}

/** Registers the tap's custom formats on an ajv instance (validators of tap records must know singer.decimal). */
export function addTapFormats(ajv: { addFormat(name: string, format: RegExp): unknown }): void {
  ajv.addFormat(DECIMAL_FORMAT, /^-?\d+(\.\d+)?$/);
}
