// Shared by the target bench's batch loaders (duckdb-write-only.mjs, duckdb-batched-load.mjs): one
// DuckDB thread attaching the database file as the target does (its row group size), and the
// batches run one transaction each, as the target commits them, then a checkpoint, with the CPU
// of that part alone. Plain ES module, imported by path by plain node (no tsx).
import { DuckDBInstance } from '@duckdb/node-api';

/** A one-thread connection with `db` attached as `warehouse` (row group `rowGroup`) and in use; `options` are extra DuckDB settings. */
export async function openWarehouse(db, rowGroup, options = {}) {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', ...options });
  const c = await instance.connect();
  await c.run("ATTACH '" + db.replace(/'/g, "''") + "' AS warehouse (ROW_GROUP_SIZE " + Number(rowGroup) + ')');
  await c.run('USE warehouse');
  return { instance, c };
}

/**
 * Runs `batches` (each [sql, params]) one transaction each, then checkpoints, closes and prints
 * { rows, cpuMicros } as one JSON line: the rows they changed and the CPU (user + system) they took.
 */
export async function writeBatches({ instance, c }, batches) {
  const cpu0 = process.cpuUsage();
  let rows = 0;
  for (const [sql, params] of batches) {
    await c.run('BEGIN TRANSACTION');
    rows += Number((await c.run(sql, params)).rowsChanged);
    await c.run('COMMIT');
  }
  await c.run('CHECKPOINT warehouse');
  const cpu = process.cpuUsage(cpu0);
  c.closeSync();
  instance.closeSync();
  process.stdout.write(JSON.stringify({ rows, cpuMicros: cpu.user + cpu.system }) + '\n');
}
