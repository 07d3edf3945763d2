// Renders one dbt node (model, test, unit-test wrapper) with the project's macros for one adapter,
// recording the ref()/source()/config() calls dbt would record: that record is the DAG.
import type nunjucks from 'nunjucks';
import { ConfigError } from '../core/errors.js';
import { createDbtEnvironment, preprocess, splitKeywordArgs } from './jinja.js';
import { envVar, renderYamlValue, type DbtProject, type Materialization } from './project.js';

export interface Relation {
  database?: string;
  schema: string;
  identifier: string;
}

/** How a relation is written in SQL: `"schema"."t"` in DuckDB, `` `project`.`dataset`.`t` `` in BigQuery. */
export function quoteRelation(adapterType: string, r: Relation): string {
  if (adapterType === 'bigquery') return [r.database, r.schema, r.identifier].filter((p) => p !== undefined && p !== '').map((p) => `\`${p}\``).join('.');
  return [r.schema, r.identifier].map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

/** dbt's default generate_schema_name: the target schema, or `<target>_<custom>` when a model sets one. */
export function modelSchema(project: DbtProject, config: Record<string, unknown>): string {
  const custom = config['schema'];
  return typeof custom === 'string' && custom !== '' ? `${project.target.schema}_${custom}` : project.target.schema;
}

export function ephemeralCteName(model: string): string {
  return `__dbt__cte__${model}`;
}

export interface RenderRequest {
  /** For messages and for `this`. */
  nodeName: string;
  rawSql: string;
  /** Config already known for the node (folder + yml); config() calls in the file merge on top. */
  config?: Record<string, unknown>;
  isIncremental?: boolean;
  /** Vars that override the project's for this render (unit-test overrides). */
  vars?: Record<string, unknown>;
  /** ref() names replaced by a CTE name (unit tests' `given` inputs). */
  refOverrides?: Map<string, string>;
  sourceOverrides?: Map<string, string>;
  /** Extra globals (generic test arguments). */
  globals?: Record<string, unknown>;
}

export interface Rendered {
  sql: string;
  refs: string[];
  sources: string[];
  config: Record<string, unknown>;
}

/** One renderer per (project, adapter): it owns the nunjucks environment and relation naming. */
export class Renderer {
  readonly adapterType: string;
  private readonly env: nunjucks.Environment;
  private readonly macroPrefix: string;
  private readonly macroLines: number;

  constructor(
    private readonly project: DbtProject,
    private readonly materializationOf: (model: string) => Materialization | undefined,
  ) {
    this.adapterType = project.target.type;
    this.env = createDbtEnvironment({ adapterType: this.adapterType });
    this.macroPrefix = preprocess(project.macroSource) + '\n';
    this.macroLines = this.macroPrefix.split('\n').length - 1;
  }

  targetContext(): Record<string, unknown> {
    const t = this.project.target;
    return { name: t.name, type: t.type, schema: t.schema, dataset: t.schema, database: t.database ?? '', project: t.database ?? '', location: t.location ?? '', threads: 1 };
  }

  modelRelation(model: string, config: Record<string, unknown>): Relation {
    const alias = typeof config['alias'] === 'string' ? config['alias'] : model;
    return { schema: modelSchema(this.project, config), identifier: alias, ...(this.project.target.database ? { database: this.project.target.database } : {}) };
  }

  sourceRelation(key: string): Relation {
    const src = this.project.sources.get(key);
    if (!src) {
      throw new ConfigError(`source ${key} is not declared`, { hint: 'Declare it under `sources:` in a schema yml.' });
    }
    const ctx = { env_var: envVar, var: (k: string, d?: unknown) => this.project.vars[k] ?? d, target: this.targetContext() };
    const database = src.database !== undefined ? String(renderYamlValue(src.database, ctx)) : this.project.target.database;
    return {
      schema: String(renderYamlValue(src.schema, ctx)),
      identifier: String(renderYamlValue(src.identifier, ctx)),
      ...(database ? { database } : {}),
    };
  }

  render(req: RenderRequest): Rendered {
    const refs: string[] = [];
    const sources: string[] = [];
    const config: Record<string, unknown> = { ...(req.config ?? {}) };
    const vars = { ...this.project.vars, ...(req.vars ?? {}) };
    const q = (r: Relation) => quoteRelation(this.adapterType, r);
    const ctx: Record<string, unknown> = {
      ...(req.globals ?? {}),
      ref: (...args: unknown[]) => {
        const { positional } = splitKeywordArgs(args);
        const name = String(positional[positional.length - 1]);
        refs.push(name);
        const override = req.refOverrides?.get(name);
        if (override) return override;
        const mat = this.materializationOf(name);
        if (mat === undefined) {
          throw new ConfigError(`${req.nodeName} depends on a node named '${name}' which was not found`, { hint: 'Check the ref() name against models/ and seeds/.' });
        }
        if (mat === 'ephemeral') return ephemeralCteName(name);
        const node = this.project.models.get(name) ?? this.project.seeds.get(name);
        return q(this.modelRelation(name, node?.config ?? {}));
      },
      source: (sourceName: string, tableName: string) => {
        const key = `${sourceName}.${tableName}`;
        sources.push(key);
        const override = req.sourceOverrides?.get(key);
        if (override) return override;
        return q(this.sourceRelation(key));
      },
      config: (...args: unknown[]) => {
        Object.assign(config, splitKeywordArgs(args).keywords);
        return '';
      },
      var: (name: string, dflt?: unknown) => {
        if (name in vars) return vars[name];
        if (dflt !== undefined) return dflt;
        throw new ConfigError(`${req.nodeName}: required var '${name}' is not set`, { hint: `Set it in dbt_project.yml vars or pass --vars '{"${name}": …}'.` });
      },
      env_var: envVar,
      is_incremental: () => req.isIncremental === true,
      target: this.targetContext(),
      adapter: { quote: (s: string) => (this.adapterType === 'bigquery' ? `\`${s}\`` : `"${s}"`) },
      model: { name: req.nodeName },
    };
    ctx['this'] = q(this.modelRelation(req.nodeName, config));
    let sql: string;
    try {
      sql = this.env.renderString(this.macroPrefix + preprocess(req.rawSql), ctx);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const msg = (err as Error).message.replace(/\[Line (\d+), Column (\d+)\]/g, (_m, l: string, c: string) => `[Line ${Number(l) - this.macroLines}, Column ${c}]`);
      throw new ConfigError(`${req.nodeName}: Jinja render failed: ${msg.replace(/\s+/g, ' ').trim()}`, { hint: 'Fix the Jinja in the file named above.' });
    }
    return { sql: sql.trim(), refs: [...new Set(refs)], sources: [...new Set(sources)], config };
  }
}

/** Puts ephemeral models' SQL in front of a query as CTEs, merging with a leading WITH if present. */
export function injectCtes(sql: string, ctes: Array<[string, string]>): string {
  if (ctes.length === 0) return sql;
  const body = ctes.map(([name, cteSql]) => `${name} as (\n${cteSql}\n)`).join(',\n');
  const lead = /^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/)?)*/.exec(sql)?.[0] ?? '';
  const rest = sql.slice(lead.length);
  if (/^with\s/i.test(rest)) return `${lead}with ${body},\n${rest.replace(/^with\s+/i, '')}`;
  return `${lead}with ${body}\n${rest}`;
}
