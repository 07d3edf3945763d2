// Checks the dbt project's BigQuery-compiled models with ZetaSQL, in DAG order: each model is
// analysed against the raw tables (target's BigQuery schemas), the seeds and the output schemas
// ZetaSQL resolved for the upstream models. Server lifecycle comes from tests/helpers/zetasql.ts.
import { LanguageOptions, TypeKind, ZetaSQLClient } from '@fivetrandevelopers/zetasql';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto.js';
import type { SimpleCatalogProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleCatalogProto.js';
import type { SimpleTableProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleTableProto.js';
import type { WarehouseField, FieldType } from '../../connector/target/fields.js';
import { startZetaSql, type CatalogTable } from './zetasql.js';

const PRODUCT_EXTERNAL = 1;
const ERROR_MESSAGE_ONE_LINE = 1;

/** Models compiled for BigQuery in DAG order (ephemerals inlined), and where they are built. */
export interface CompiledForBigQuery {
  models: Array<{ name: string; sql: string }>;
  target: { database?: string; schema: string };
}

export interface ModelCheck {
  name: string;
  ok: boolean;
  error?: string;
  fields?: WarehouseField[];
}

const KIND_TO_BQ: Record<string, FieldType> = {
  TYPE_STRING: 'STRING',
  TYPE_INT64: 'INT64',
  TYPE_INT32: 'INT64',
  TYPE_DOUBLE: 'FLOAT64',
  TYPE_FLOAT: 'FLOAT64',
  TYPE_NUMERIC: 'NUMERIC',
  TYPE_BIGNUMERIC: 'NUMERIC',
  TYPE_BOOL: 'BOOL',
  TYPE_DATE: 'DATE',
  TYPE_TIMESTAMP: 'TIMESTAMP',
  TYPE_JSON: 'JSON',
  TYPE_STRUCT: 'RECORD',
};

function kindName(kind: unknown): string {
  if (typeof kind === 'string') return kind;
  const entry = Object.entries(TypeKind).find(([, v]) => v === kind);
  return entry ? entry[0] : String(kind);
}

/** ZetaSQL's resolved type → the BigQuery field shape (so a model's output can be registered as a table). */
export function fieldFromType(name: string, t: TypeProto | null | undefined): WarehouseField {
  const kind = kindName(t?.typeKind);
  if (kind === 'TYPE_ARRAY') return { ...fieldFromType(name, t?.arrayType?.elementType), mode: 'REPEATED' };
  const type = KIND_TO_BQ[kind];
  if (!type) throw new Error(`column ${name}: no BigQuery mapping for ZetaSQL type ${kind}`);
  if (type === 'RECORD') {
    const fields = (t?.structType?.field ?? []).map((f) => fieldFromType(String(f.fieldName), f.fieldType));
    return { name, type, mode: 'NULLABLE', fields };
  }
  return { name, type, mode: 'NULLABLE' };
}

function typeOf(f: WarehouseField): TypeProto {
  const scalar: Record<Exclude<FieldType, 'RECORD'>, TypeProto> = {
    STRING: { typeKind: TypeKind.TYPE_STRING },
    INT64: { typeKind: TypeKind.TYPE_INT64 },
    FLOAT64: { typeKind: TypeKind.TYPE_DOUBLE },
    NUMERIC: { typeKind: TypeKind.TYPE_NUMERIC },
    BOOL: { typeKind: TypeKind.TYPE_BOOL },
    DATE: { typeKind: TypeKind.TYPE_DATE },
    TIMESTAMP: { typeKind: TypeKind.TYPE_TIMESTAMP },
    JSON: { typeKind: TypeKind.TYPE_JSON },
  };
  const base: TypeProto = f.type === 'RECORD' ? { typeKind: TypeKind.TYPE_STRUCT, structType: { field: (f.fields ?? []).map((c) => ({ fieldName: c.name, fieldType: typeOf(c) })) } } : scalar[f.type];
  return f.mode === 'REPEATED' ? { typeKind: TypeKind.TYPE_ARRAY, arrayType: { elementType: base } } : base;
}

/** dbt seed column_types (as rendered for BigQuery) → BigQuery fields. */
export function seedFields(columnTypes: Record<string, unknown>): WarehouseField[] {
  const map: Record<string, FieldType> = { string: 'STRING', int64: 'INT64', numeric: 'NUMERIC', date: 'DATE', timestamp: 'TIMESTAMP', bool: 'BOOL', float64: 'FLOAT64' };
  return Object.entries(columnTypes).map(([name, t]) => {
    const type = map[String(t).toLowerCase()];
    if (!type) throw new Error(`seed column ${name}: type ${String(t)} is not a BigQuery type`);
    return { name, type, mode: 'NULLABLE' };
  });
}

function catalogProto(tables: CatalogTable[], languageOptions: unknown): SimpleCatalogProto {
  const projects = new Map<string, Map<string, SimpleTableProto[]>>();
  const datasets = new Map<string, SimpleTableProto[]>();
  for (const t of tables) {
    const table: SimpleTableProto = { name: t.name, column: t.fields.map((f) => ({ name: f.name, type: typeOf(f) })) };
    datasets.set(t.dataset, [...(datasets.get(t.dataset) ?? []), table]);
    if (t.project) {
      const p = projects.get(t.project) ?? new Map<string, SimpleTableProto[]>();
      p.set(t.dataset, [...(p.get(t.dataset) ?? []), table]);
      projects.set(t.project, p);
    }
  }
  return {
    name: 'root',
    catalog: [...[...projects].map(([name, ds]) => ({ name, catalog: [...ds].map(([dsName, table]) => ({ name: dsName, table })) })), ...[...datasets].map(([name, table]) => ({ name, table }))],
    // The serialised LanguageOptionsProto; its generated type is not exported by the package index.
    builtinFunctionOptions: { languageOptions: languageOptions as never },
  };
}

/**
 * Analyses every compiled model (DAG order) with BigQuery semantics, then each `extra` statement
 * (singular tests, incremental variants) against the full catalog. A model whose analysis fails
 * is reported and its output is not registered, so its consumers fail too (as in BigQuery).
 */
export async function checkCompiledModels(compiled: CompiledForBigQuery, baseTables: CatalogTable[], extra: Array<{ name: string; sql: string }> = []): Promise<ModelCheck[]> {
  const harness = await startZetaSql();
  const client = ZetaSQLClient.getInstance();
  const lo = await new LanguageOptions().enableMaximumLanguageFeatures();
  lo.options.productMode = PRODUCT_EXTERNAL;
  lo.options.supportedStatementKinds = [];
  const languageOptions = lo.serialize();
  const tables = [...baseTables];
  const analyse = async (name: string, sql: string): Promise<ModelCheck> => {
    const reg = await client.registerCatalog({ simpleCatalog: catalogProto(tables, languageOptions) });
    const registeredId = reg?.registeredId;
    try {
      const res = await client.analyze({
        sqlStatement: sql,
        registeredCatalogId: registeredId ?? 0,
        options: { languageOptions: languageOptions as never, errorMessageMode: ERROR_MESSAGE_ONE_LINE as never },
      });
      const outputs = res?.resolvedStatement?.resolvedQueryStmtNode?.outputColumnList ?? [];
      return { name, ok: true, fields: outputs.map((c) => fieldFromType(c.name, c.column?.type)) };
    } catch (err) {
      const e = err as { details?: string; message?: string };
      return { name, ok: false, error: e.details ?? e.message ?? String(err) };
    } finally {
      if (registeredId !== undefined) await client.unRegisterCatalog({ registeredId }).catch(() => undefined);
    }
  };
  const results: ModelCheck[] = [];
  try {
    for (const model of compiled.models) {
      const check = await analyse(model.name, model.sql);
      results.push(check);
      if (check.ok) {
        const rel = compiled.target;
        tables.push({ ...(rel.database ? { project: rel.database } : {}), dataset: rel.schema, name: model.name, fields: check.fields ?? [] });
      }
    }
    for (const x of extra) results.push(await analyse(x.name, x.sql));
  } finally {
    await harness.stop();
  }
  return results;
}
