// Runs one generated hostile case through the in-process loader on a fresh DuckDB file and checks
// the contract (see hostile.ts). Shared by the CI test (a subset) and the bench runner (all).
import { DuckDbDestination } from '../../connector/target/duckdb/destination.js';
import { Loader } from '../../connector/target/loader.js';
import { Logger } from '../../connector/core/log.js';
import { asConnectorError } from '../../connector/core/errors.js';
import { AFTER_IDS, asStream, BAD_LINE, type HostileCase } from './hostile.js';

export interface CaseResult {
  id: number;
  category: string;
  exitCode: number;
  message: string;
  states: unknown[];
  rowIds: string[];
  problems: string[];
}

export async function checkCase(c: HostileCase, file: string, tempDir: string): Promise<CaseResult> {
  const states: unknown[] = [];
  const dest = new DuckDbDestination({ path: file, dataset: 'facebook_ads' });
  await dest.open();
  let exitCode = 0;
  let message = '';
  try {
    const loader = new Loader({
      config: { batch_rows: 100000, batch_bytes: 100 * 2 ** 20, batch_seconds: 300, history: true, validate_records: c.validate, temp_dir: tempDir },
      destination: dest,
      log: new Logger({ component: 'hostile', level: 'error', sink: { write: () => true } }),
      emitState: async (v) => void states.push(v),
    });
    await loader.run(asStream(c));
  } catch (err) {
    const e = asConnectorError(err);
    exitCode = e.exitCode;
    message = e.message;
  }
  let rowIds: string[];
  try {
    rowIds = (await dest.query(`SELECT id FROM facebook_ads.items ORDER BY id`)).map((r) => String(r['id']));
  } catch {
    rowIds = [];
  } finally {
    await dest.close();
  }
  const problems: string[] = [];
  if (exitCode !== 6) problems.push(`exit ${exitCode}, expected 6`);
  if (!new RegExp(`^line ${BAD_LINE}\\b`).test(message)) problems.push(`message does not name line ${BAD_LINE}: ${message.slice(0, 200)}`);
  if (states.some((s) => JSON.stringify(s) !== '{"n":1}')) problems.push(`echoed a STATE after the bad line: ${JSON.stringify(states)}`);
  if (rowIds.some((id) => AFTER_IDS.includes(id) || id === 'bad')) problems.push(`rows from the bad line or after it were written: ${rowIds.join(',')}`);
  return { id: c.id, category: c.category, exitCode, message, states, rowIds, problems };
}
