// Builds the configured destination. Each destination's client library is imported only when that
// destination is configured: the BigQuery client costs a DuckDB run ~0.3 s of start-up, and the
// reverse holds too. Tests inject BigQuery clients by constructing BigQueryDestination themselves.
import { DEFAULT_DUCKDB_MEMORY_LIMIT, type TargetConfig } from './config.js';
import type { Logger } from '../core/log.js';
import type { Destination } from './destination.js';

export async function createDestination(config: TargetConfig, log?: Logger): Promise<Destination> {
  if (config.destination === 'bigquery') {
    const { BigQueryDestination, bigQueryClientFromConfig } = await import('./bigquery/destination.js');
    return new BigQueryDestination({ client: bigQueryClientFromConfig(config), projectId: config.project_id!, dataset: config.dataset, location: config.location });
  }
  const { DuckDbDestination } = await import('./duckdb/destination.js');
  return new DuckDbDestination({
    path: config.duckdb_path,
    dataset: config.dataset,
    memoryLimit: config.duckdb_memory_limit ?? DEFAULT_DUCKDB_MEMORY_LIMIT,
    // Only the default gives way to a wide table: a limit the user chose is theirs (its error names the one needed).
    raiseMemoryLimitForWideTables: config.duckdb_memory_limit === undefined,
    threads: config.duckdb_threads,
    ...(log ? { log } : {}),
  });
}
