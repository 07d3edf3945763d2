// What Meta accepts, per node type and API version: fields, edges, edge parameters and their enum
// values from meta-sdk/graph-api.json (generated from Meta's SDK, see meta-sdk/README.md), plus the
// hand-kept, sourced rules in meta-sdk/rules.ts. Never derived from the tap's declarations.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/config.js';
import { E } from './errors.js';
import { BUSINESS_SCOPED_USER_CLASSES, DEFAULT_FIELDS, EDGE_FIELDS, FIELD_SINCE, GRAPH_TYPE_NAME } from './meta-sdk/rules.js';
import { parseList } from './request.js';

export interface SdkParam {
  type: string;
  enum?: string[];
}
export interface SdkEdge {
  target: string | null;
  params: Record<string, SdkParam>;
}
interface SdkNode {
  fields: Record<string, string>;
  edges?: Record<string, SdkEdge>;
  post_edges?: Record<string, SdkEdge>;
  params?: Record<string, SdkParam>;
}
export interface SdkStamp {
  sdk_package: string;
  sdk_version: string;
  api_version: string;
  source: string;
  command: string;
}
export interface GraphApiMeta {
  stamp: SdkStamp;
  nodes: Record<string, SdkNode>;
}

let loaded: GraphApiMeta | undefined;
/** The generated file, read once on first use (from the sources: the build does not copy it to dist/). */
export function graphApiMeta(): GraphApiMeta {
  loaded ??= JSON.parse(readFileSync(path.join(REPO_ROOT, 'connector/sandbox/meta-sdk/graph-api.json'), 'utf8')) as GraphApiMeta;
  return loaded;
}

function node(sdkClass: string): SdkNode {
  const n = graphApiMeta().nodes[sdkClass];
  if (!n) throw new Error(`graph-api.json has no node type ${sdkClass}`);
  return n;
}

export function majorOf(version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1] ?? NaN);
}

/** A node type as served: its SDK class, the name Graph uses in errors, its default projection. */
export interface NodeType {
  sdk: string;
  /** Name in "(#100) Tried accessing nonexisting field (x) on node type (T)". */
  type: string;
  defaults: readonly string[];
  /** Fields the node has only through the edge it was read from (meta-sdk/rules.ts EDGE_FIELDS). */
  edgeFields: readonly string[];
}

/** The node type of an SDK class; `via` = `<parent SDK class>/<edge>` when read through an edge with fields of its own. */
export function nodeType(sdkClass: string, via?: string): NodeType {
  node(sdkClass);
  const edgeFields = (via && EDGE_FIELDS[via]) || [];
  return { sdk: sdkClass, type: GRAPH_TYPE_NAME[sdkClass] ?? sdkClass, defaults: [...(DEFAULT_FIELDS[sdkClass] ?? ['id']), ...edgeFields], edgeFields };
}

/** Whether `field` is a readable field of the node type at API `version` (SDK fields, version gates). */
export function hasField(nt: NodeType, field: string, version: string): boolean {
  if (!Object.hasOwn(node(nt.sdk).fields, field)) return nt.edgeFields.includes(field);
  const since = FIELD_SINCE[nt.sdk]?.[field];
  return since === undefined || !(majorOf(version) < since);
}

/** The GET edge `name` of a node type, or undefined when Graph has no such edge. */
export function edgeOf(sdkClass: string, name: string, method: 'GET' | 'POST' = 'GET'): SdkEdge | undefined {
  const n = node(sdkClass);
  const edges = method === 'GET' ? n.edges : n.post_edges;
  return edges && Object.hasOwn(edges, name) ? edges[name] : undefined;
}

let businessScoped: ReadonlySet<string> | undefined;
/**
 * User edges that exist only for a business-scoped user (system user): the GET edges every
 * business-scoped user class declares in the SDK (meta-sdk/rules.ts BUSINESS_SCOPED_USER_CLASSES).
 */
export function businessScopedUserEdges(): ReadonlySet<string> {
  if (!businessScoped) {
    const [first, ...rest] = BUSINESS_SCOPED_USER_CLASSES.map((c) => Object.keys(node(c).edges ?? {}));
    businessScoped = new Set((first ?? []).filter((e) => rest.every((r) => r.includes(e))));
  }
  return businessScoped;
}

/** Edge lookup that answers an unknown edge the way Graph does: (#100) nonexisting field on the node type. */
export function requireEdge(nt: NodeType, name: string, method: 'GET' | 'POST' = 'GET'): SdkEdge {
  const e = edgeOf(nt.sdk, name, method);
  if (!e) throw E.nonexistingField(name, nt.type);
  return e;
}

/**
 * Enum-typed parameters of an edge (or of the node read itself) checked against the SDK's values:
 * "(#100) breakdowns[0] must be one of the following values: …" (facebook-python-business-sdk#287,
 * facebook-nodejs-business-sdk#15); bool parameters must be booleans. Parameters the SDK does not type are left to the route.
 */
export function checkEnumParams(params: Record<string, SdkParam> | undefined, get: (name: string) => string | undefined): void {
  if (!params) return;
  for (const [name, spec] of Object.entries(params)) {
    const raw = get(name);
    // bool params (use_unified_attribution_setting, …) take true/false (the SDKs send those, PHP's 1/0).
    if (raw !== undefined && spec.type === 'bool' && !/^(true|false|1|0)$/.test(raw)) throw E.invalidParam(`Param ${name} must be a boolean`);
    if (raw === undefined || !spec.enum) continue;
    const allowed = new Set(spec.enum);
    const isList = spec.type.startsWith('list<');
    const values = isList ? (parseList(raw) ?? []) : [raw];
    values.forEach((v, i) => {
      if (!allowed.has(v)) throw E.invalidParam(`${isList ? `${name}[${i}]` : name} must be one of the following values: ${spec.enum!.join(', ')}`);
    });
  }
}
