// DuckDB's write alone, for the lower bound of bench/scenarios/target.ts: argv [database file, row
// group size, stage SQL, insert SQL, batch rows]. On one DuckDB thread it attaches the file as the
// target does (its row group size), reads the records into an in-memory temp table `m` (not
// counted), then inserts them into the table `batch rows` at a time, each in its own transaction as
// the target commits its batches, and checkpoints. It prints the rows and the CPU of that write
// part alone. Plain node, no tsx, so the CPU and RSS it shows are DuckDB's.
import { DuckDBInstance } from '@duckdb/node-api';

const [db, rowGroup, stage, insert, batchRows] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await instance.connect();
await c.run("ATTACH '" + db.replace(/'/g, "''") + "' AS warehouse (ROW_GROUP_SIZE " + Number(rowGroup) + ')');
await c.run('USE warehouse');
await c.run(stage);
const n = Number((await c.runAndReadAll('SELECT count(*) FROM temp.main.m')).getRows()[0][0]);
const step = Number(batchRows);
const cpu0 = process.cpuUsage();
let rows = 0;
for (let lo = 0; lo < n; lo += step) {
  await c.run('BEGIN TRANSACTION');
  rows += Number((await c.run(insert, { lo, hi: lo + step })).rowsChanged);
  await c.run('COMMIT');
}
await c.run('CHECKPOINT warehouse');
const cpu = process.cpuUsage(cpu0);
c.closeSync();
instance.closeSync();
process.stdout.write(JSON.stringify({ rows, cpuMicros: cpu.user + cpu.system }) + '\n');
