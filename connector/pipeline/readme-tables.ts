// Generates the README's reference tables from their sources of truth (spec.json, the target and
// serve config schemas, catalog.json), so the docs cannot drift: a test compares README.md with
// this output. Regenerate with `node --import tsx connector/pipeline/readme-tables.ts --write`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import yaml from 'js-yaml';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSchema, REPO_ROOT } from '../core/config.js';
import { loadStreamFields, tableLayout, toTableName } from '../target/fields.js';

type Prop = Record<string, unknown>;

const cellText = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(p: Prop): string {
  if (Array.isArray(p['enum'])) return (p['enum'] as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  const t = Array.isArray(p['type']) ? (p['type'] as string[]).filter((x) => x !== 'null').join('/') : String(p['type'] ?? 'any');
  if (t === 'array') {
    const items = (p['items'] ?? {}) as Prop;
    if (Array.isArray(items['enum'])) return `list of ${(items['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`;
    return `list of ${items['type'] === 'object' ? 'objects' : String(items['type'] ?? 'values')}`;
  }
  if (p['format'] === 'date') return 'date (YYYY-MM-DD)';
  const formats = Array.isArray(p['anyOf']) ? (p['anyOf'] as Prop[]).map((x) => x['format']) : [];
  if (formats.includes('date') && formats.includes('date-time')) return 'date (YYYY-MM-DD) or date-time (RFC 3339)';
  if (p['format'] === 'uri') return 'URL';
  return t;
}

function constraints(p: Prop): string {
  const c: string[] = [];
  if (p['minimum'] !== undefined && p['maximum'] !== undefined) c.push(`${String(p['minimum'])}–${String(p['maximum'])}`);
  else if (p['minimum'] !== undefined) c.push(`≥ ${String(p['minimum'])}`);
  else if (p['maximum'] !== undefined) c.push(`≤ ${String(p['maximum'])}`);
  if (p['minLength'] !== undefined) c.push(`min length ${String(p['minLength'])}`);
  return c.join(', ');
}

interface Row {
  field: string;
  prop: Prop;
  required: boolean;
}

function rowsOf(schema: Prop, prefix = ''): Row[] {
  const props = (schema['properties'] ?? {}) as Record<string, Prop>;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  const out: Row[] = [];
  for (const [name, p] of Object.entries(props)) {
    const field = `${prefix}${name}`;
    out.push({ field, prop: p, required: required.has(name) });
    if (p['type'] === 'object' && p['properties']) out.push(...rowsOf(p, `${field}.`));
    const items = p['items'] as Prop | undefined;
    if (p['type'] === 'array' && items?.['type'] === 'object' && items['properties']) out.push(...rowsOf(items, `${field}[].`));
  }
  return out;
}

/** Every field of a config schema: name, type, default, and what it does (secrets flagged). */
export function configTable(schemaPath: string): string {
  const schema = loadSchema(schemaPath);
  const lines = ['| field | type | default | description |', '|---|---|---|---|'];
  for (const r of rowsOf(schema)) {
    const p = r.prop;
    const def = p['default'] === undefined ? (r.required ? '**required**' : '') : `\`${JSON.stringify(p['default'])}\``;
    const notes = [p['description'] ? String(p['description']) : '', constraints(p) ? `(${constraints(p)})` : '', p['writeOnly'] ? '**Secret**: never logged.' : ''].filter(Boolean).join(' ');
    lines.push(`| \`${r.field}\` | ${cellText(typeOf(p))} | ${cellText(def)} | ${cellText(notes)} |`);
  }
  return lines.join('\n');
}

/** The streams the tap emits, with their keys and replication, from the golden catalog.json. */
export function streamsTable(): string {
  const catalog = JSON.parse(readFileSync(path.join(REPO_ROOT, 'catalog.json'), 'utf8')) as {
    streams: { tap_stream_id: string; key_properties: string[]; replication_method?: string; replication_key?: string; schema: { properties: Record<string, unknown>; description?: string } }[];
  };
  const lines = ['| stream | key | replication | bookmark | columns |', '|---|---|---|---|---|'];
  for (const s of catalog.streams) {
    const method = s.replication_method === 'INCREMENTAL' ? 'incremental' : 'full';
    lines.push(`| \`${s.tap_stream_id}\` | ${s.key_properties.map((k) => `\`${k}\``).join(' + ')} | ${method} | ${s.replication_key ? `\`${s.replication_key}\`` : ''} | ${Object.keys(s.schema.properties).length} |`);
  }
  return lines.join('\n');
}

/** One row per warehouse table: merge key, history table, BigQuery partitioning and clustering. */
export function warehouseTable(): string {
  const catalog = JSON.parse(readFileSync(path.join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { tap_stream_id: string; key_properties: string[] }[] };
  const lines = ['| table | merge key | history table | BigQuery partition / cluster |', '|---|---|---|---|'];
  for (const s of catalog.streams) {
    const fields = loadStreamFields(s.tap_stream_id);
    const table = toTableName(s.tap_stream_id);
    // The target keeps versions of streams that carry updated_time (connector/target/loader.ts).
    const history = s.key_properties.length > 0 && fields.some((f) => f.name === 'updated_time' && f.mode !== 'REPEATED');
    const layout = tableLayout(s.key_properties, fields);
    const phys = [layout.partitionField ? `partition by day(\`${layout.partitionField}\`)` : '', layout.clusterFields.length ? `cluster by ${layout.clusterFields.map((c) => `\`${c}\``).join(', ')}` : ''].filter(Boolean).join('; ');
    lines.push(`| \`${table}\` | ${s.key_properties.map((k) => `\`${k}\``).join(' + ')} | ${history ? `\`${table}__history\`` : ''} | ${phys} |`);
  }
  return lines.join('\n');
}

/** The dbt models (staging, intermediate, marts) with their descriptions, from dbt/models/**.yml. */
export function dbtModelsTable(): string {
  const root = path.join(REPO_ROOT, 'dbt', 'models');
  const described = new Map<string, string>();
  const sqlFiles: { layer: string; name: string }[] = [];
  const walk = (dir: string, layer: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, layer || e.name);
      else if (e.name.endsWith('.sql')) sqlFiles.push({ layer, name: e.name.slice(0, -4) });
      else if (e.name.endsWith('.yml')) {
        const doc = yaml.load(readFileSync(p, 'utf8')) as { models?: { name: string; description?: string }[] } | null;
        for (const m of doc?.models ?? []) if (m.description) described.set(m.name, m.description.replace(/\s+/g, ' ').trim());
      }
    }
  };
  walk(root, '');
  const order = ['staging', 'intermediate', 'marts'];
  sqlFiles.sort((a, b) => order.indexOf(a.layer) - order.indexOf(b.layer) || a.name.localeCompare(b.name));
  const lines = ['| model | layer | what it is |', '|---|---|---|'];
  for (const f of sqlFiles) lines.push(`| \`${f.name}\` | ${f.layer} | ${cellText(described.get(f.name) ?? '')} |`);
  return lines.join('\n');
}

export const README_BLOCKS: Record<string, () => string> = {
  'config-tap': () => configTable('spec.json'),
  'config-target': () => configTable('schemas/target-config.json'),
  'config-serve': () => configTable('schemas/serve-config.json'),
  streams: streamsTable,
  warehouse: warehouseTable,
  'dbt-models': dbtModelsTable,
};

const marker = (id: string, end: boolean): string => `<!-- generated:${id}:${end ? 'end' : 'start'} -->`;

/** The text between a block's markers, or undefined when the README lacks them. */
export function readmeBlock(readme: string, id: string): string | undefined {
  const a = readme.indexOf(marker(id, false));
  const b = readme.indexOf(marker(id, true));
  if (a === -1 || b === -1 || b < a) return undefined;
  return readme.slice(a + marker(id, false).length, b).trim();
}

export function fillReadme(readme: string): string {
  let out = readme;
  for (const [id, gen] of Object.entries(README_BLOCKS)) {
    const a = out.indexOf(marker(id, false));
    const b = out.indexOf(marker(id, true));
    if (a === -1 || b === -1) continue;
    out = out.slice(0, a) + `${marker(id, false)}\n${gen()}\n${out.slice(b)}`;
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--write')) {
  const file = path.join(REPO_ROOT, 'README.md');
  writeFileSync(file, fillReadme(readFileSync(file, 'utf8')));
}
