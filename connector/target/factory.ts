// Builds the configured destination. BigQuery clients can be injected (tests pass a loopback
// endpoint and a PassThroughClient); the CLI builds one from the config.
import type { TargetConfig } from './config.js';
import type { Destination } from './destination.js';
import { DuckDbDestination } from './duckdb/destination.js';
import { BigQueryDestination, bigQueryClientFromConfig } from './bigquery/destination.js';

export function createDestination(config: TargetConfig): Destination {
  if (config.destination === 'bigquery') {
    return new BigQueryDestination({ client: bigQueryClientFromConfig(config), projectId: config.project_id!, dataset: config.dataset, location: config.location });
  }
  return new DuckDbDestination({ path: config.duckdb_path, dataset: config.dataset });
}
