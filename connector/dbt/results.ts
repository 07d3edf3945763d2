// Reads dbt's target/run_results.json: what each node (seed, model, data test, unit test) ended
// as, and the ones that failed, named the way a user selects them (`model facebook_ads__ad_report`).
import { existsSync, readFileSync } from 'node:fs';

/** dbt's node statuses: models/seeds success|error|skipped, tests pass|fail|warn|error|skipped. */
const FAILED = new Set(['error', 'fail', 'runtime error']);

export interface DbtNodeResult {
  uniqueId: string;
  /** model, seed, test, unit_test, snapshot… */
  resourceType: string;
  /** `facebook_ads__ad_report`; unit tests as `model::test`. */
  name: string;
  status: string;
  message: string | null;
  failures: number | null;
  /** dbt's execution_time for the node. */
  seconds: number;
}

export interface DbtRunResults {
  invocationId: string;
  elapsedSeconds: number;
  nodes: DbtNodeResult[];
  failed: DbtNodeResult[];
}

export function nodeFromUniqueId(uniqueId: string): { resourceType: string; name: string } {
  const [resourceType = 'node', , ...rest] = uniqueId.split('.');
  // unit_test.<project>.<model>.<test>; tests and models: <type>.<project>.<name>[.<hash>]
  if (resourceType === 'unit_test') return { resourceType, name: rest.join('::') };
  if (resourceType === 'test' && rest.length > 1) return { resourceType, name: rest.slice(0, -1).join('.') };
  return { resourceType, name: rest.join('.') };
}

export function label(n: Pick<DbtNodeResult, 'resourceType' | 'name'>): string {
  return `${n.resourceType.replace('_', ' ')} ${n.name}`;
}

interface RawResult {
  unique_id?: unknown;
  status?: unknown;
  message?: unknown;
  failures?: unknown;
  execution_time?: unknown;
}

export function parseRunResults(text: string): DbtRunResults {
  const doc = JSON.parse(text) as { metadata?: { invocation_id?: unknown }; elapsed_time?: unknown; results?: RawResult[] };
  const nodes = (doc.results ?? []).map((r): DbtNodeResult => {
    const uniqueId = String(r.unique_id ?? '');
    return {
      uniqueId,
      ...nodeFromUniqueId(uniqueId),
      status: String(r.status ?? 'unknown'),
      message: typeof r.message === 'string' ? r.message : null,
      failures: typeof r.failures === 'number' ? r.failures : null,
      seconds: typeof r.execution_time === 'number' ? r.execution_time : 0,
    };
  });
  return {
    invocationId: String(doc.metadata?.invocation_id ?? ''),
    elapsedSeconds: typeof doc.elapsed_time === 'number' ? doc.elapsed_time : 0,
    nodes,
    failed: nodes.filter((n) => FAILED.has(n.status)),
  };
}

export function readRunResults(file: string): DbtRunResults | undefined {
  return existsSync(file) ? parseRunResults(readFileSync(file, 'utf8')) : undefined;
}

/** One line per failed node: what it is and dbt's first line on why. */
export function describeFailure(n: DbtNodeResult): string {
  const why = (n.message ?? n.status).split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' ');
  return `${label(n)} (${n.failures ? `${n.failures} failing rows: ` : ''}${why})`;
}
