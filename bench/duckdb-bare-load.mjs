// DuckDB's bare load, the ceiling of bench/scenarios/target.ts: argv [database file, SQL, threads?];
// one connection, one INSERT … SELECT, then it prints the rows inserted and DuckDB's version as JSON.
// Plain node, no tsx, so its wall time and RSS are DuckDB's alone; the project's @duckdb/node-api,
// so it is the DuckDB build the target runs on.
import { DuckDBInstance } from '@duckdb/node-api';

const [db, sql, threads] = process.argv.slice(2);
const instance = await DuckDBInstance.create(db, threads ? { threads } : {});
const c = await instance.connect();
const rows = (await c.run(sql)).rowsChanged;
const version = (await c.runAndReadAll('SELECT version() AS v')).getRowObjectsJson()[0].v;
c.closeSync();
instance.closeSync();
process.stdout.write(JSON.stringify({ rows, version }) + '\n');
