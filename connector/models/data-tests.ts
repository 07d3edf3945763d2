// dbt data tests as SQL: each query returns the failing rows (zero rows = pass). The four
// built-in generic tests are written here; project `{% test %}` macros are rendered like dbt does.
import { ConfigError } from '../core/errors.js';
import type { GenericTest, UnitTestInput } from './project.js';
import type { Renderer } from './render.js';
import { parseCsv, sqlString } from './seeds.js';

function q(adapterType: string, ident: string): string {
  return adapterType === 'bigquery' ? `\`${ident}\`` : `"${ident.replace(/"/g, '""')}"`;
}

function literal(v: unknown, quote: boolean): string {
  if (!quote) return String(v);
  return sqlString(String(v));
}

/** SQL of a generic test against `relation` (already quoted); project macros named `test_<name>`. */
export function genericTestSql(test: GenericTest, relation: string, renderer: Renderer): string {
  const a = renderer.adapterType;
  const from = test.where ? `(select * from ${relation} where ${test.where})` : relation;
  const col = test.column !== undefined ? q(a, test.column) : undefined;
  const needColumn = () => {
    if (!col) throw new ConfigError(`data test ${test.name}: ${test.testName} needs a column`, { hint: 'Declare it under the column in the schema yml.' });
    return col;
  };
  switch (test.testName) {
    case 'not_null':
      return `select ${needColumn()} from ${from} as t where ${needColumn()} is null`;
    case 'unique':
      return `select ${needColumn()} as unique_field, count(*) as n_records from ${from} as t where ${needColumn()} is not null group by ${needColumn()} having count(*) > 1`;
    case 'accepted_values': {
      const values = test.kwargs['values'];
      if (!Array.isArray(values) || values.length === 0) throw new ConfigError(`data test ${test.name}: accepted_values needs values`);
      const quote = test.kwargs['quote'] !== false;
      return `select ${needColumn()} as value_field, count(*) as n_records from ${from} as t where ${needColumn()} is not null and ${needColumn()} not in (${values.map((v) => literal(v, quote)).join(', ')}) group by ${needColumn()}`;
    }
    case 'relationships': {
      const to = String(test.kwargs['to'] ?? '');
      const field = String(test.kwargs['field'] ?? '');
      if (!to || !field) throw new ConfigError(`data test ${test.name}: relationships needs to and field`);
      const parent = renderer.render({ nodeName: test.name, rawSql: to.includes('{{') ? to : `{{ ${to} }}` }).sql;
      return `select child.${needColumn()} as from_field from ${from} as child left join ${parent} as parent on child.${needColumn()} = parent.${q(a, field)} where child.${needColumn()} is not null and parent.${q(a, field)} is null`;
    }
    default: {
      const args = { model: relation, ...(test.column !== undefined ? { column_name: test.column } : {}), ...test.kwargs };
      const call = Object.keys(args)
        .map((k) => `${k}=__test_args[${JSON.stringify(k)}]`)
        .join(', ');
      return renderer.render({ nodeName: test.name, rawSql: `{{ test_${test.testName}(${call}) }}`, globals: { __test_args: args } }).sql;
    }
  }
}

/** The relation names a generic test's `relationships.to` reads (for ordering and skipping). */
export function genericTestRefs(test: GenericTest): string[] {
  const to = test.kwargs['to'];
  if (typeof to !== 'string') return [];
  return [...to.matchAll(/ref\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

export interface ColumnType {
  name: string;
  type: string;
}

/** A unit test's `given`/`expect` rows as a SELECT, typed like the real relation's columns. */
export function fixtureSql(input: UnitTestInput, columns: ColumnType[], where: string): string {
  if (input.format === 'sql') {
    if (typeof input.rows !== 'string') throw new ConfigError(`${where}: format sql needs rows as a SQL string`);
    return input.rows;
  }
  const rows = fixtureRows(input, where);
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!byName.has(k.toLowerCase())) {
        throw new ConfigError(`${where}: column ${k} is not in the input relation`, { hint: `Known columns: ${columns.map((c) => c.name).join(', ')}.` });
      }
    }
  }
  const selectRow = (r: Record<string, unknown> | undefined) =>
    'select ' +
    columns
      .map((c) => {
        const v = r ? Object.entries(r).find(([k]) => k.toLowerCase() === c.name.toLowerCase())?.[1] : undefined;
        const lit = v === undefined || v === null ? 'null' : sqlString(String(v));
        return `cast(${lit} as ${c.type}) as "${c.name}"`;
      })
      .join(', ');
  if (rows.length === 0) return `${selectRow(undefined)} where false`;
  return rows.map((r) => selectRow(r)).join('\nunion all\n');
}

export function fixtureRows(input: UnitTestInput, where: string): Record<string, unknown>[] {
  if (input.format === 'csv') {
    if (typeof input.rows !== 'string') throw new ConfigError(`${where}: format csv needs rows as CSV text`);
    const { header, rows } = parseCsv(input.rows.trim() + '\n', where);
    return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] === '' ? null : r[i]])));
  }
  if (input.rows === undefined) return [];
  if (!Array.isArray(input.rows)) throw new ConfigError(`${where}: rows must be a list of mappings`);
  return input.rows;
}

/** Canonical text of a cell so 12.5, '12.500000000' and 12.50 compare equal. */
export function normaliseCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return normaliseNumber(String(v));
  if (typeof v === 'boolean') return String(v);
  const s = String(v);
  if (/^-?\d+(\.\d+)?$/.test(s)) return normaliseNumber(s);
  return s;
}

function normaliseNumber(s: string): string {
  if (!s.includes('.')) return s.replace(/^(-?)0+(?=\d)/, '$1');
  const [i, f] = s.split('.') as [string, string];
  const frac = f.replace(/0+$/, '');
  const int = i.replace(/^(-?)0+(?=\d)/, '$1');
  return frac === '' ? (int === '-0' ? '0' : int) : `${int}.${frac}`;
}

/** Rows as a multiset of canonical tuples over the given columns; order does not matter (as in dbt). */
export function diffRows(expected: Record<string, unknown>[], actual: Record<string, unknown>[], columns: string[]): string | undefined {
  const key = (r: Record<string, unknown>) =>
    columns
      .map((c) => {
        const entry = Object.entries(r).find(([k]) => k.toLowerCase() === c.toLowerCase());
        return `${c}=${normaliseCell(entry?.[1])}`;
      })
      .join(', ');
  const exp = expected.map(key).sort();
  const act = actual.map(key).sort();
  const missing = exp.filter((e) => {
    const i = act.indexOf(e);
    if (i >= 0) {
      act.splice(i, 1);
      return false;
    }
    return true;
  });
  if (missing.length === 0 && act.length === 0) return undefined;
  return [...missing.map((m) => `- expected: ${m}`), ...act.map((m) => `+ actual:   ${m}`)].join('\n');
}
