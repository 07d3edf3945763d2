// The project's DAG: a parse render of every model records its refs, sources and config (what
// dbt's parser does), then models are ordered so each runs after everything it reads.
import { ConfigError } from '../core/errors.js';
import type { DbtProject, Materialization } from './project.js';
import { ephemeralCteName, injectCtes, quoteRelation, Renderer } from './render.js';

export interface ParsedModel {
  name: string;
  path: string;
  materialized: Materialization;
  config: Record<string, unknown>;
  refs: string[];
  sources: string[];
}

const MATERIALIZATIONS = new Set<Materialization>(['view', 'table', 'incremental', 'ephemeral']);

/** First pass: render each model once to learn refs and its final config. */
export function parseModels(project: DbtProject, renderVars: Record<string, unknown> = {}): Map<string, ParsedModel> {
  const known = (n: string) => (project.models.has(n) || project.seeds.has(n) ? ('table' as const) : undefined);
  const renderer = new Renderer(project, known);
  const parsed = new Map<string, ParsedModel>();
  for (const model of project.models.values()) {
    const r = renderer.render({ nodeName: model.name, rawSql: model.rawSql, config: model.config, vars: renderVars });
    const mat = String(r.config['materialized'] ?? 'view') as Materialization;
    if (!MATERIALIZATIONS.has(mat)) {
      throw new ConfigError(`${model.name}: materialization '${mat}' is not supported by this runner`, { hint: 'Use view, table, incremental or ephemeral.' });
    }
    parsed.set(model.name, { name: model.name, path: model.path, materialized: mat, config: r.config, refs: r.refs, sources: r.sources });
  }
  return parsed;
}

/** Models in dependency order (seeds are leaves and not listed); a cycle is a config error. */
export function topoOrder(parsed: Map<string, ParsedModel>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    const node = parsed.get(name);
    if (!node) return;
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new ConfigError(`dependency cycle: ${[...path, name].join(' -> ')}`, { hint: 'Break the cycle between these models.' });
    state.set(name, 'visiting');
    for (const dep of node.refs) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...parsed.keys()].sort()) visit(name, []);
  return order;
}

/**
 * dbt node selection, the common forms: `name`, `+name` (with ancestors), `name+` (with
 * descendants), `tag:x`, `path:models/marts`. Several selectors are a union.
 */
export function selectModels(parsed: Map<string, ParsedModel>, selectors: string[] | undefined): Set<string> {
  if (!selectors || selectors.length === 0) return new Set(parsed.keys());
  const children = new Map<string, string[]>();
  for (const m of parsed.values()) for (const r of m.refs) children.set(r, [...(children.get(r) ?? []), m.name]);
  const out = new Set<string>();
  const up = (n: string) => {
    for (const r of parsed.get(n)?.refs ?? []) if (parsed.has(r) && !out.has(r)) (out.add(r), up(r));
  };
  const down = (n: string) => {
    for (const c of children.get(n) ?? []) if (!out.has(c)) (out.add(c), down(c));
  };
  for (const raw of selectors.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)) {
    const withUp = raw.startsWith('+');
    const withDown = raw.endsWith('+');
    const sel = raw.replace(/^\+|\+$/g, '');
    let matched: string[];
    if (sel.startsWith('tag:')) matched = [...parsed.values()].filter((m) => ([] as unknown[]).concat(m.config['tags'] ?? []).includes(sel.slice(4))).map((m) => m.name);
    else if (sel.startsWith('path:')) matched = [...parsed.values()].filter((m) => m.path.startsWith(sel.slice(5))).map((m) => m.name);
    else matched = parsed.has(sel) ? [sel] : [];
    if (matched.length === 0) throw new ConfigError(`--select ${raw} matches no model`, { hint: 'Use a model name, +name, name+, tag:x or path:dir.' });
    for (const m of matched) {
      out.add(m);
      if (withUp) up(m);
      if (withDown) down(m);
    }
  }
  return out;
}

/** Ephemeral models a node reads, directly or through other ephemerals, upstream first. */
export function ephemeralChain(name: string, parsed: Map<string, ParsedModel>, mocked: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    for (const r of parsed.get(n)?.refs ?? []) {
      const dep = parsed.get(r);
      // A mocked ephemeral (unit-test input) replaces its whole upstream: do not descend into it.
      if (dep?.materialized === 'ephemeral' && !mocked.has(r) && !out.includes(r)) {
        visit(r);
        out.push(r);
      }
    }
  };
  visit(name);
  return out;
}

export interface CompiledModel {
  name: string;
  path: string;
  materialized: Materialization;
  config: Record<string, unknown>;
  /** Quoted relation the model writes (absent for ephemeral). */
  relation?: string;
  /** The query, with ephemeral upstreams inlined as CTEs. */
  sql: string;
  refs: string[];
  sources: string[];
}

/** Renders a model's final SQL (second pass) and inlines its ephemeral upstreams. */
export function compileModel(
  project: DbtProject,
  renderer: Renderer,
  parsed: Map<string, ParsedModel>,
  name: string,
  opts: { isIncremental?: boolean; vars?: Record<string, unknown>; refOverrides?: Map<string, string>; sourceOverrides?: Map<string, string> } = {},
): CompiledModel {
  const node = parsed.get(name);
  const model = project.models.get(name);
  if (!node || !model) throw new ConfigError(`unknown model ${name}`);
  const renderOnce = (n: string, incremental: boolean) => {
    const m = project.models.get(n)!;
    return renderer.render({
      nodeName: n,
      rawSql: m.rawSql,
      config: m.config,
      isIncremental: incremental,
      ...(opts.vars ? { vars: opts.vars } : {}),
      ...(opts.refOverrides ? { refOverrides: opts.refOverrides } : {}),
      ...(opts.sourceOverrides ? { sourceOverrides: opts.sourceOverrides } : {}),
    });
  };
  const main = renderOnce(name, opts.isIncremental === true);
  const overridden = opts.refOverrides ?? new Map<string, string>();
  const ctes: Array<[string, string]> = ephemeralChain(name, parsed, new Set(overridden.keys())).map((e) => [ephemeralCteName(e), renderOnce(e, false).sql]);
  const relation = node.materialized === 'ephemeral' ? undefined : renderer.modelRelation(name, main.config);
  return {
    name,
    path: node.path,
    materialized: node.materialized,
    config: main.config,
    sql: injectCtes(main.sql, ctes),
    refs: main.refs,
    sources: main.sources,
    ...(relation ? { relation: quoteRelation(renderer.adapterType, relation) } : {}),
  };
}

/** CTEs for the ephemeral models among `refs` (and their ephemeral upstreams), for tests' SQL. */
export function ephemeralCtesFor(project: DbtProject, renderer: Renderer, parsed: Map<string, ParsedModel>, refs: string[]): Array<[string, string]> {
  const names: string[] = [];
  for (const r of refs) {
    if (parsed.get(r)?.materialized !== 'ephemeral') continue;
    for (const e of [...ephemeralChain(r, parsed), r]) if (!names.includes(e)) names.push(e);
  }
  return names.map((e) => {
    const m = project.models.get(e)!;
    return [ephemeralCteName(e), renderer.render({ nodeName: e, rawSql: m.rawSql, config: m.config }).sql];
  });
}

export function rendererFor(project: DbtProject, parsed: Map<string, ParsedModel>): Renderer {
  return new Renderer(project, (n) => parsed.get(n)?.materialized ?? (project.seeds.has(n) ? 'table' : undefined));
}
