// Settings from environment variables, for `--config ENV` (the Meltano SDK's convention): each
// top-level setting of the config schema is read from `<PREFIX><SETTING>` (TAP_FACEBOOK_ADS_START_DATE)
// and converted by the type the schema gives it, so the config validates as if it came from a file.
import { ConfigError } from './errors.js';
import type { JsonObject } from './config.js';
import { whereJsonFails } from './json-errors.js';

/** Words read as true or false for a boolean setting (the Meltano SDK's truthy words, and their opposites). */
const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/** `tap-facebook-ads` → `TAP_FACEBOOK_ADS_`: the prefix Meltano and the SDK give a plugin's variables. */
export const envPrefixOf = (bin: string): string => `${bin.toUpperCase().replace(/-/g, '_')}_`;

function typesOf(schema: JsonObject): string[] {
  const t = schema['type'];
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

/** The setting's shape as JSON for a hint: an object's required keys (else its first), a list of such objects; never a value given. */
function exampleOf(schema: JsonObject): string {
  const types = typesOf(schema);
  if (types.includes('array')) {
    const items = schema['items'] as JsonObject | undefined;
    return items && typesOf(items).includes('object') ? `[${exampleOf(items)}]` : '["a", "b"]';
  }
  const props = (schema['properties'] ?? {}) as Record<string, JsonObject>;
  const keys = (schema['required'] as string[] | undefined) ?? Object.keys(props).slice(0, 1);
  if (keys.length === 0) return '{"key": "value"}';
  const sample = (k: string): string => {
    const t = typesOf(props[k] ?? {});
    return t.includes('integer') || t.includes('number') ? '1' : t.includes('boolean') ? 'true' : '"…"';
  };
  return `{${keys.map((k) => `"${k}": ${sample(k)}`).join(', ')}}`;
}

const isListOfObjects = (schema: JsonObject): boolean => {
  const items = schema['items'] as JsonObject | undefined;
  return typesOf(schema).includes('array') && !!items && typesOf(items).includes('object');
};

/**
 * A value the text cannot be converted to is left as text: validation then names the setting and the
 * type it wants (`config.page_size must be integer`), as for a file.
 */
function convert(text: string, schema: JsonObject, variable: string): unknown {
  const types = typesOf(schema);
  if (types.includes('object') || (types.includes('array') && text.trimStart().startsWith('['))) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfigError(`environment variable ${variable} ${whereJsonFails(text, err)}`, {
        hint: `Give it as JSON, e.g. ${variable}='${exampleOf(schema)}'.`,
        context: { variable },
      });
    }
  }
  // A list of words may be written a,b,c (the SDK's older form); a list of objects needs JSON.
  // Split into words it would fail validation as "config.x[0] must be object", naming no variable.
  if (isListOfObjects(schema)) {
    throw new ConfigError(`environment variable ${variable} is not a JSON list: its setting is a list of objects`, {
      hint: `Give it as JSON, e.g. ${variable}='${exampleOf(schema)}'.`,
      context: { variable },
    });
  }
  if (types.includes('array')) return text === '' ? [] : text.split(',').map((w) => w.trim());
  if (types.includes('boolean')) {
    if (TRUE_WORDS.includes(text.toLowerCase())) return true;
    if (FALSE_WORDS.includes(text.toLowerCase())) return false;
    return text;
  }
  if ((types.includes('integer') || types.includes('number')) && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

/** The settings found in `env` under `prefix`, converted by their schema types; variables of no setting are ignored. */
export function configFromEnv(schema: JsonObject, prefix: string, env: NodeJS.ProcessEnv = process.env): JsonObject {
  const props = (schema['properties'] ?? {}) as Record<string, JsonObject>;
  const out: JsonObject = {};
  for (const [name, sub] of Object.entries(props)) {
    const variable = prefix + name.toUpperCase().replace(/-/g, '_');
    const text = env[variable];
    if (text !== undefined) out[name] = convert(text, sub, variable);
  }
  return out;
}
