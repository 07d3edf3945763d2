// DuckDB's write alone, for the lower bound of bench/scenarios/target.ts: argv [database file, row
// group size, stage SQL, insert SQL, batch rows]. On one DuckDB thread it attaches the file as the
// target does (its row group size), reads the records into an in-memory temp table `m` (not
// counted), then inserts them into the table `batch rows` at a time, each in its own transaction as
// the target commits its batches, and checkpoints. It prints the rows and the CPU of that write
// part alone. Plain node, no tsx, so the CPU and RSS it shows are DuckDB's.
import { openWarehouse, writeBatches } from './duckdb-batches.mjs';

const [db, rowGroup, stage, insert, batchRows] = process.argv.slice(2);
const w = await openWarehouse(db, rowGroup);
await w.c.run(stage);
const n = Number((await w.c.runAndReadAll('SELECT count(*) FROM temp.main.m')).getRows()[0][0]);
const step = Number(batchRows);
const batches = [];
for (let lo = 0; lo < n; lo += step) batches.push([insert, { lo, hi: lo + step }]);
await writeBatches(w, batches);
