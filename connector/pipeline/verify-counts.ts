// The end-of-run check that nothing was lost between tap and warehouse: the tap's record_count
// metrics (what it wrote) against the target's (what it committed), per stream and account. Any
// difference fails the run with exit 6, naming the stream and the account.
import { EXIT_CODES } from '../core/errors.js';
import { compareCounts, COMMITTED_TAG, RecordCounts, STALE_TAG } from '../singer/record-counts.js';
import type { Failure } from './summary.js';

/** Collects both sides from the children's relayed log lines. */
export class CountCheck {
  readonly written = new RecordCounts();
  /** Committed, or dropped as stale by the documented ACTIVATE_VERSION rule: either way not lost. */
  readonly committed = new RecordCounts();
  /** Whether the tap reported record_count metrics at all (an older or foreign tap may not). */
  tapReported = false;

  observe(component: 'tap' | 'target', fields: Record<string, unknown>): void {
    if (component === 'tap') this.tapReported = this.written.addMetricLine(fields) || this.tapReported;
    else this.committed.addMetricLine(fields, (tags) => tags['status'] === COMMITTED_TAG || tags['status'] === STALE_TAG);
  }

  /** What the tap says it wrote, per stream (summed over accounts). */
  writtenPerStream(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.written.entries()) out[e.stream] = (out[e.stream] ?? 0) + e.count;
    return out;
  }

  /**
   * Failures to add when both children ended as if all went well (tap 0 or 5, target 0).
   * `piped` is what the pipe between them carried per stream (the meter), to say where lines went missing.
   */
  failures(piped: Record<string, number>): Failure[] {
    const pipedTotal = Object.values(piped).reduce((a, b) => a + b, 0);
    if (!this.tapReported) {
      if (pipedTotal === 0) return [];
      return [
        {
          scope: 'pipeline',
          kind: 'data',
          message: `the tap sent ${pipedTotal} records but reported no record_count metrics, so the run cannot prove they all reached the warehouse`,
          hint: "The tap's last log lines were lost or it is not tap-facebook-ads; re-run, and report it if it happens again.",
        },
      ];
    }
    return compareCounts(this.written, this.committed).map((m) => {
      const who = `stream "${m.stream}"${m.account !== undefined ? `, account ${m.account}` : ''}`;
      return {
        scope: 'pipeline' as const,
        kind: 'data',
        ...(m.account !== undefined ? { account_id: m.account } : {}),
        message: `${who}: the tap wrote ${m.written} records but the target committed ${m.committed} (the pipe carried ${piped[m.stream] ?? 0} for the whole stream)`,
        hint: 'Records were lost between tap and warehouse. The saved state stops before them, so a re-run reads them again; report it if it repeats.',
      };
    });
  }
}

/** A clean-looking run with a count mismatch ends with 6 (data error, named); a worse code stands. */
export function withCountFailures(exitCode: number, failures: readonly Failure[]): number {
  if (failures.length === 0) return exitCode;
  return exitCode === EXIT_CODES.ok || exitCode === EXIT_CODES.partial ? EXIT_CODES.data : exitCode;
}
