// `fields=` parsing and projection (facts §10.1): only requested fields plus `id`; a field the node
// type does not have at the request's API version (meta.ts) → (#100) Tried accessing nonexisting
// field, naming the first one (meta-sdk/rules.ts); known-but-empty fields are simply absent.
import { E } from './errors.js';
import { hasField, type NodeType } from './meta.js';

export type { NodeType } from './meta.js';

export interface FieldSel {
  name: string;
  sub: FieldSel[] | null;
}

/**
 * A Python list repr, `['a', 'b']`: MeltanoLabs tap-facebook 0.9.0 puts it in `fields=` on every object
 * stream (streams/ad_accounts.py `f"/adaccounts?fields={columns}"`) and is used against the real API,
 * so Graph evidently reads it as a list of names [inferred; not confirmed against Graph].
 */
const PY_LIST = /^\[\s*'[^']*'(\s*,\s*'[^']*')*\s*\]$/;

/** Parses 'a,b{c,d},e' (Graph field expansion), a JSON array of names or a Python list repr of names. */
export function parseFields(raw: string | undefined): FieldSel[] | null {
  if (raw === undefined) return null;
  let t = raw.trim();
  if (t.startsWith('[')) {
    const quoted = PY_LIST.test(t) ? [...t.matchAll(/'([^']*)'/g)].map((m) => m[1]!) : null;
    if (quoted) t = quoted.join(',');
    else {
      try {
        const arr: unknown = JSON.parse(t);
        if (Array.isArray(arr)) t = arr.map(String).join(',');
      } catch {
        throw E.invalidParam('Param fields must be a comma separated list or a JSON array');
      }
    }
  }
  let i = 0;
  const parseList = (): FieldSel[] => {
    const out: FieldSel[] = [];
    let name = '';
    const flush = (sub: FieldSel[] | null) => {
      const n = name.trim();
      if (n !== '') out.push({ name: n, sub });
      name = '';
    };
    while (i < t.length) {
      const ch = t[i]!;
      i++;
      if (ch === ',') flush(null);
      else if (ch === '{') {
        const sub = parseList();
        flush(sub);
        if (t[i] === ',') i++;
      } else if (ch === '}') {
        flush(null);
        return out;
      } else name += ch;
    }
    flush(null);
    return out;
  };
  return parseList();
}

/** Throws Graph's (#100) for the first requested field the node type lacks at `version`. */
export function checkFields(nt: NodeType, fields: FieldSel[] | null, version: string): void {
  const bad = fields?.find((f) => !hasField(nt, f.name, version));
  if (bad) throw E.nonexistingField(bad.name, nt.type);
}

export function project(nt: NodeType, values: Record<string, unknown>, fields: FieldSel[] | null, version: string): Record<string, unknown> {
  checkFields(nt, fields, version);
  const sel = fields ?? nt.defaults.filter((name) => hasField(nt, name, version)).map((name) => ({ name, sub: null }));
  const out: Record<string, unknown> = {};
  for (const f of sel) {
    const v = values[f.name];
    if (v === undefined) continue;
    out[f.name] = f.sub && v !== null && typeof v === 'object' && !Array.isArray(v) ? pick(v as Record<string, unknown>, f.sub) : v;
  }
  if (values['id'] !== undefined && !('id' in out)) out['id'] = values['id'];
  return out;
}

function pick(v: Record<string, unknown>, sub: FieldSel[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of sub) if (v[f.name] !== undefined) out[f.name] = v[f.name];
  if (v['id'] !== undefined && !('id' in out)) out['id'] = v['id'];
  return out;
}
