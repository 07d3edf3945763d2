// Campaign / ad set / ad / creative edges: fields= selection, `filtering` (updated_time and
// effective_status, facts §3.5), the `effective_status` param, default hiding of ARCHIVED and
// DELETED objects, cursor paging (facts §6) and summary.total_count.
import type { Call } from '../context.js';
import { E } from '../errors.js';
import { checkFields, parseFields, project, type FieldSel, type NodeType } from '../fields.js';
import { paginate } from '../paging.js';
import { parseList } from '../request.js';
import { effectiveStatus, type Ad, type AdSet, type Campaign, type Creative, type World } from '../world.js';
import { AD, AD_CREATIVE, AD_SET, CAMPAIGN, adValues, adsetValues, campaignValues, creativeValues } from './render.js';

export type TreeKind = 'campaign' | 'adset' | 'ad';

/** SINGER's delivery_info values (facts §3.5) mapped onto effective statuses. */
const DELIVERY_INFO: Record<string, string[]> = {
  active: ['ACTIVE'],
  archived: ['ARCHIVED'],
  deleted: ['DELETED'],
  permanently_deleted: ['DELETED'],
  inactive: ['PAUSED', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED'],
};

interface Filter {
  statuses: Set<string> | null;
  test: Array<(n: Campaign | AdSet | Ad) => boolean>;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (typeof v === 'string') {
    const t = Date.parse(v.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    if (!Number.isNaN(t)) return Math.floor(t / 1000);
  }
  throw E.invalidParam(`Filter value ${JSON.stringify(v)} is not a valid number`);
}

const CMP: Record<string, (a: number, b: number) => boolean> = {
  GREATER_THAN: (a, b) => a > b,
  GREATER_THAN_OR_EQUAL: (a, b) => a >= b,
  LESS_THAN: (a, b) => a < b,
  LESS_THAN_OR_EQUAL: (a, b) => a <= b,
  EQUAL: (a, b) => a === b,
  NOT_EQUAL: (a, b) => a !== b,
};

export function parseFiltering(raw: string | undefined): Array<{ field: string; operator: string; value: unknown }> {
  if (raw === undefined) return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw E.invalidParam('param filtering must be an array.');
  }
  if (!Array.isArray(v)) throw E.invalidParam('param filtering must be an array.');
  return v.map((f) => {
    const o = f as Record<string, unknown>;
    if (!o || typeof o['field'] !== 'string' || typeof o['operator'] !== 'string') throw E.invalidParam('Filter must have field, operator and value');
    return { field: o['field'], operator: o['operator'].toUpperCase(), value: o['value'] };
  });
}

function buildFilter(call: Call, kind: TreeKind): Filter {
  const world = call.core.world;
  const f: Filter = { statuses: null, test: [] };
  const addStatuses = (vals: string[], negate: boolean) => {
    const s = new Set(vals.map((x) => x.toUpperCase()));
    if (negate) {
      const all = ['ACTIVE', 'PAUSED', 'ARCHIVED', 'DELETED', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED', 'IN_PROCESS', 'WITH_ISSUES', 'DISAPPROVED', 'PENDING_REVIEW', 'PREAPPROVED', 'PENDING_BILLING_INFO'];
      f.statuses = new Set(all.filter((x) => !s.has(x)));
    } else f.statuses = f.statuses ? new Set([...f.statuses].filter((x) => s.has(x))) : s;
  };
  for (const flt of parseFiltering(call.req.params.get('filtering'))) {
    const prefix = /^(campaign|adset|ad)\./.exec(flt.field)?.[1];
    const field = flt.field.replace(/^(campaign|adset|ad)\./, '');
    const values = Array.isArray(flt.value) ? flt.value.map(String) : [String(flt.value)];
    if (field === 'effective_status' || field === 'configured_status' || field === 'status') {
      if (flt.operator !== 'IN' && flt.operator !== 'NOT_IN' && flt.operator !== 'EQUAL') throw E.invalidParam(`Operator ${flt.operator} is not supported for field ${flt.field}`);
      addStatuses(values, flt.operator === 'NOT_IN');
    } else if (field === 'delivery_info') {
      addStatuses(
        values.flatMap((x) => DELIVERY_INFO[x.toLowerCase()] ?? []),
        false,
      );
    } else if (field === 'updated_time' || field === 'created_time') {
      const cmp = CMP[flt.operator];
      if (!cmp) throw E.invalidParam(`Operator ${flt.operator} is not supported for field ${flt.field}`);
      const v = num(flt.value);
      f.test.push((n) => cmp(field === 'updated_time' ? n.updatedTime : n.createdTime, v));
    } else if (field === 'id') {
      // `campaign.id` on the ad sets/ads edges and `adset.id` on the ads edge name the parent
      // (how connectors list the children of given parents in one call); on its own edge, the object.
      const s = new Set(values);
      const idOf = parentIdOf(prefix, kind);
      f.test.push((n) => (flt.operator === 'NOT_IN' ? !s.has(idOf(n)) : s.has(idOf(n))));
    } else if (field === 'name') {
      const needle = String(flt.value).toLowerCase();
      f.test.push((n) => n.name.toLowerCase().includes(needle) === (flt.operator !== 'NOT_CONTAIN'));
    } else if (field === 'campaign_id' || field === 'adset_id') {
      const s = new Set(values);
      f.test.push((n) => s.has((n as unknown as Record<string, string>)[field === 'campaign_id' ? 'campaignId' : 'adsetId'] ?? ''));
    } else {
      throw E.invalidParam(`Filtering field ${flt.field} is invalid`);
    }
  }
  const es = parseList(call.req.params.get('effective_status'));
  if (es) addStatuses(es, false);
  const since = call.req.params.get('updated_since');
  if (since !== undefined && kind !== 'campaign') {
    const v = num(since);
    f.test.push((n) => n.updatedTime > v);
  }
  void world;
  return f;
}

function parentIdOf(prefix: string | undefined, kind: TreeKind): (n: Campaign | AdSet | Ad) => string {
  if (prefix === 'campaign' && kind !== 'campaign') return (n) => (n as AdSet | Ad).campaignId;
  if (prefix === 'adset' && kind === 'ad') return (n) => (n as Ad).adsetId;
  return (n) => n.id;
}

function visible(world: World, n: Campaign | AdSet | Ad, f: Filter): boolean {
  const es = effectiveStatus(world, n);
  // Default: ARCHIVED/DELETED hidden unless a status filter asks for them (facts §3.5).
  if (f.statuses ? !f.statuses.has(es) : es === 'ARCHIVED' || es === 'DELETED') return false;
  return f.test.every((t) => t(n));
}

const TYPES: Record<TreeKind, NodeType> = { campaign: CAMPAIGN, adset: AD_SET, ad: AD };

export function renderTree(world: World, n: Campaign | AdSet | Ad): Record<string, unknown> {
  return n.kind === 'campaign' ? campaignValues(world, n) : n.kind === 'adset' ? adsetValues(world, n) : adValues(world, n);
}

/** List an edge of tree objects (already restricted to the parent). */
export function listTree(call: Call, kind: TreeKind, ids: string[]): Record<string, unknown> {
  const world = call.core.world;
  const fields = parseFields(call.req.params.get('fields'));
  const f = buildFilter(call, kind);
  const nodes = ids.map((id) => world.byId.get(id) as Campaign | AdSet | Ad).filter((n) => visible(world, n, f));
  // Newest first, like the live edges; ties broken by id for determinism.
  nodes.sort((a, b) => b.createdTime - a.createdTime || (a.id < b.id ? -1 : 1));
  const page = paginate(call.req, nodes, 'object');
  checkFields(TYPES[kind], fields, call.req.version);
  checkWithdrawn(world, TYPES[kind], fields);
  // An ad set Meta calls incomplete fails the page it sits on, as a creative does (#65944).
  if (page.items.some((n) => n.kind === 'adset' && n.incomplete) && resolvesContent(fields)) throw E.creativeIncomplete();
  const rendered = page.items.map((n) => project(TYPES[kind], renderTree(world, n), fields, call.req.version));
  return page.body(rendered, summaryOf(call, nodes.length));
}

export function listCreatives(call: Call, ids: string[]): Record<string, unknown> {
  const world = call.core.world;
  const fields = parseFields(call.req.params.get('fields'));
  checkFields(AD_CREATIVE, fields, call.req.version);
  checkWithdrawn(world, AD_CREATIVE, fields);
  const nodes = ids.map((id) => world.byId.get(id) as Creative);
  const page = paginate(call.req, nodes, 'object');
  // One creative whose post is gone fails its whole page ("breaks the whole ad_creative stream", #66027).
  if (page.items.some((c) => c.postDeleted) && resolvesContent(fields)) throw E.creativeIncomplete();
  return page.body(
    page.items.map((c) => project(AD_CREATIVE, creativeValues(c), fields, call.req.version)),
    summaryOf(call, nodes.length),
  );
}

/**
 * Whether a creative read asks for more than its id. Meta's refusal names the missing post, which the
 * id does not need; the reports show it on reads with content fields [inferred: which of the ~30
 * fields the peers asked trigger it is not documented, so every field but `id` does here].
 */
/** A field Meta withdrew (world.ts withdrawField) is refused like any field the node type lacks. */
export function checkWithdrawn(world: World, nt: NodeType, fields: FieldSel[] | null): void {
  const gone = world.withdrawnFields.get(nt.sdk);
  const bad = gone && fields?.find((f) => gone.has(f.name));
  if (bad) throw E.nonexistingField(bad.name, nt.type);
}

export function resolvesContent(fields: FieldSel[] | null, idFields: readonly string[] = ['id']): boolean {
  return fields !== null && fields.some((f) => !idFields.includes(f.name));
}

/** PYSDK adds summary=true to every edge read (facts §3.5); answer with total_count. */
export function summaryOf(call: Call, total: number): Record<string, unknown> {
  const s = call.req.params.get('summary');
  return s === 'true' || s === '1' || s === 'total_count' || s === '["total_count"]' ? { summary: { total_count: total } } : {};
}
