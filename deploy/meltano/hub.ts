// Meltano Hub plugin definitions of the tap and the target, generated from spec.json and
// schemas/target-config.json (the config schemas are the source of truth; these files follow), their
// capabilities from what each bin's `--about` reports (connector/cli/about.ts).
//   node --import tsx deploy/meltano/hub.ts           rewrites deploy/meltano/hub/**.yml
//   node --import tsx deploy/meltano/hub.ts --check   exits 1 when a file differs (a test runs this)
//   node --import tsx deploy/meltano/hub.ts --write-meltano   rewrites the settings and capabilities of meltano.yml
//   (tests/golden/spec.test.ts checks they equal these definitions' settings)
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { capabilitiesOf } from '../../connector/cli/about.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HUB_DIR = path.join(REPO_ROOT, 'deploy', 'meltano', 'hub');
/** Hub variants name who maintains the implementation; ours is this repository. */
export const VARIANT = 'fb-ads-elt';

type Schema = Record<string, unknown>;

export interface HubSetting {
  name: string;
  label: string;
  kind: string;
  description?: string;
  value?: unknown;
  sensitive?: true;
  options?: { label: string; value: unknown }[];
}

/** Meltano's setting kinds for a JSON Schema property (Meltano has `decimal` for numbers). */
export function settingKind(p: Schema): string {
  if (p['enum']) return 'options';
  // A date, or "a date or a date-time" (anyOf of formats): Meltano's date setting either way.
  const formats = Array.isArray(p['anyOf']) ? (p['anyOf'] as Schema[]).map((x) => x['format']) : [p['format']];
  if (p['type'] === 'string' && formats.includes('date')) return 'date_iso8601';
  const kinds: Record<string, string> = { string: 'string', integer: 'integer', number: 'decimal', boolean: 'boolean', array: 'array', object: 'object' };
  const kind = kinds[String(p['type'])];
  if (!kind) throw new Error(`no Meltano setting kind for JSON Schema type ${JSON.stringify(p['type'])}`);
  return kind;
}

/** A secret is any property whose schema (or a nested one, e.g. access_tokens[].token) is writeOnly. */
const isSensitive = (p: Schema): boolean => JSON.stringify(p).includes('"writeOnly":true');

const label = (name: string): string =>
  name
    .split('_')
    .map((w) => (['id', 'ids', 'api', 'url', 'ms', 'duckdb'].includes(w) ? ({ id: 'ID', ids: 'IDs', api: 'API', url: 'URL', ms: 'ms', duckdb: 'DuckDB' } as Record<string, string>)[w]! : w[0]!.toUpperCase() + w.slice(1)))
    .join(' ');

/** Empty-object defaults (e.g. circuit_breaker: {}) are left out: the tap fills its own. */
const meaningfulDefault = (v: unknown): boolean => v !== undefined && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

export function hubSettings(schema: Schema): HubSetting[] {
  const props = schema['properties'] as Record<string, Schema>;
  return Object.entries(props).map(([name, p]) => ({
    name,
    label: label(name),
    kind: settingKind(p),
    ...(typeof p['description'] === 'string' ? { description: p['description'] } : {}),
    ...(meaningfulDefault(p['default']) ? { value: p['default'] } : {}),
    ...(isSensitive(p) ? { sensitive: true as const } : {}),
    ...(Array.isArray(p['enum']) ? { options: (p['enum'] as unknown[]).map((v) => ({ label: String(v), value: v })) } : {}),
  }));
}

const readSchema = (rel: string): Schema => JSON.parse(readFileSync(path.join(REPO_ROOT, rel), 'utf8')) as Schema;

/** The two definitions, keyed by their path under hub/ (Meltano Hub's `<type>/<name>/<variant>.yml`). */
export function hubDefinitions(): Record<string, Record<string, unknown>> {
  const spec = readSchema('spec.json');
  const target = readSchema('schemas/target-config.json');
  // anyOf [{required: [access_token]}, {required: [access_tokens]}] → one group per alternative.
  const groups = ((spec['anyOf'] as { required?: string[] }[] | undefined) ?? []).flatMap((a) => (a.required ? [a.required] : []));
  return {
    [`extractors/tap-facebook-ads/${VARIANT}.yml`]: {
      name: 'tap-facebook-ads',
      variant: VARIANT,
      namespace: 'tap_facebook_ads',
      label: 'Meta (Facebook) Ads',
      description: 'Meta (Facebook) Marketing API: businesses, ad accounts, campaigns, ad sets, ads, creatives and daily insights, incremental per ad account',
      keywords: ['meta', 'facebook', 'ads', 'marketing'],
      maintenance_status: 'active',
      executable: 'tap-facebook-ads',
      capabilities: capabilitiesOf('tap-facebook-ads'),
      settings_group_validation: groups,
      settings: hubSettings(spec),
    },
    [`loaders/target-bigquery/${VARIANT}.yml`]: {
      name: 'target-bigquery',
      variant: VARIANT,
      namespace: 'target_bigquery',
      label: 'BigQuery (or embedded DuckDB)',
      description: 'Loads Singer streams into BigQuery (load jobs + MERGE on keys) or an embedded DuckDB file; STATE echoed after commit',
      keywords: ['bigquery', 'duckdb', 'warehouse'],
      maintenance_status: 'active',
      executable: 'target-bigquery',
      capabilities: capabilitiesOf('target-bigquery'),
      settings: hubSettings(target),
    },
  };
}

export function renderDefinition(def: Record<string, unknown>): string {
  return '# Generated by deploy/meltano/hub.ts from the config JSON Schema; do not edit by hand.\n' + yaml.dump(def, { lineWidth: 120, noRefs: true, sortKeys: false });
}

const LIST_INDENT = '        ';
const dumpList = (items: unknown[]): string => yaml.dump(items, { lineWidth: 120, noRefs: true, sortKeys: false }).replace(/^/gm, LIST_INDENT).trimEnd();

/** `text` with the list whose items start at `body` replaced; it ends at the first line indented less than its items. */
function replaceListAt(text: string, body: number, dumped: string): string {
  const rest = text.slice(body).split('\n');
  const end = rest.findIndex((l) => l.trim() !== '' && !l.startsWith(LIST_INDENT));
  return text.slice(0, body) + dumped + '\n' + rest.slice(end).join('\n');
}

/**
 * meltano.yml with each plugin's `capabilities:` and `settings:` lists replaced by its Hub
 * definition's (labels left out: Meltano derives them); the rest of the file, comments included, is
 * kept as written. A plugin without a capabilities list gets one before its settings.
 */
export function withMeltanoDefinitions(text: string): string {
  let out = text;
  for (const def of Object.values(hubDefinitions())) {
    const name = String(def['name']);
    const start = out.indexOf(`\n    - name: ${name}\n`);
    const settingsAt = out.indexOf('\n      settings:\n', start);
    if (start === -1 || settingsAt === -1) throw new Error(`meltano.yml has no settings list for ${name}`);
    const capsAt = out.indexOf('\n      capabilities:\n', start);
    const caps = dumpList(def['capabilities'] as string[]);
    if (capsAt !== -1 && capsAt < settingsAt) out = replaceListAt(out, capsAt + '\n      capabilities:\n'.length, caps);
    else out = out.slice(0, settingsAt) + `\n      capabilities:\n${caps}` + out.slice(settingsAt);
    const settings = (def['settings'] as HubSetting[]).map(({ label: _l, ...rest }) => rest);
    out = replaceListAt(out, out.indexOf('\n      settings:\n', start) + '\n      settings:\n'.length, dumpList(settings));
  }
  return out;
}

function main(check: boolean): number {
  let stale = 0;
  for (const [rel, def] of Object.entries(hubDefinitions())) {
    const file = path.join(HUB_DIR, rel);
    const text = renderDefinition(def);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    if (check) {
      process.stderr.write(`${path.relative(REPO_ROOT, file)} is stale: run node --import tsx deploy/meltano/hub.ts\n`);
      stale++;
    } else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      process.stderr.write(`wrote ${path.relative(REPO_ROOT, file)}\n`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write-meltano')) {
    const file = path.join(REPO_ROOT, 'deploy', 'meltano', 'meltano.yml');
    writeFileSync(file, withMeltanoDefinitions(readFileSync(file, 'utf8')));
  } else process.exitCode = main(process.argv.includes('--check'));
}
