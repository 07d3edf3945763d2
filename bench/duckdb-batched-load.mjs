// DuckDB's bare load in the target's batches, for bench/scenarios/target.ts: argv [database file,
// row group size, memory_limit, statements as a JSON array]. One DuckDB thread under the target's
// memory_limit attaches the file as the target does (its row group size) and runs each statement —
// one batch file's records straight from the Singer lines into the table — in its own transaction,
// as the target commits its batches, then checkpoints. It prints the rows and the CPU of that load
// alone. What a target that let DuckDB map the Singer lines itself would pay before validating
// anything. Plain node, no tsx, so the CPU and RSS it shows are DuckDB's.
import { openWarehouse, writeBatches } from './duckdb-batches.mjs';

const [db, rowGroup, memoryLimit, statements] = process.argv.slice(2);
const w = await openWarehouse(db, rowGroup, { memory_limit: memoryLimit, temp_directory: db + '.tmp' });
await writeBatches(
  w,
  JSON.parse(statements).map((sql) => [sql, undefined]),
);
