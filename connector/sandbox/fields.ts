// `fields=` parsing and projection (facts §10.1): only requested fields plus `id`; unknown field
// → (#100) Tried accessing nonexisting field; known-but-empty fields are simply absent.
import { E } from './errors.js';

export interface FieldSel {
  name: string;
  sub: FieldSel[] | null;
}

/** Parses 'a,b{c,d},e' (Graph field expansion) or a JSON array of names. */
export function parseFields(raw: string | undefined): FieldSel[] | null {
  if (raw === undefined) return null;
  let t = raw.trim();
  if (t.startsWith('[')) {
    try {
      const arr: unknown = JSON.parse(t);
      if (Array.isArray(arr)) t = arr.map(String).join(',');
    } catch {
      throw E.invalidParam('Param fields must be a comma separated list or a JSON array');
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

export interface NodeType {
  /** Name used in the nonexisting-field error, e.g. 'AdAccount'. */
  type: string;
  known: ReadonlySet<string>;
  defaults: readonly string[];
}

export function project(nt: NodeType, values: Record<string, unknown>, fields: FieldSel[] | null): Record<string, unknown> {
  const sel = fields ?? nt.defaults.map((name) => ({ name, sub: null }));
  for (const f of sel) if (!nt.known.has(f.name)) throw E.nonexistingField(f.name, nt.type);
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
