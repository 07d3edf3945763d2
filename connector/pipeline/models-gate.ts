// Whether the models step runs once the tap and the target ended, and which accounts the reports
// then show stale. Like Fivetran's transformations, the models build on what landed — after a
// partial run too, as long as the target committed and an account finished — and the run keeps
// its exit code, so the failure stays visible (README "Exit codes").
import { EXIT_CODES } from '../core/errors.js';
import { isFailedStatus, isOkStatus, type AccountSummary } from './summary.js';

export interface ModelsGateInput {
  tapCode: number;
  targetCode: number;
  /** The run was stopped on purpose (Ctrl-C, SIGTERM, serve closing): nobody waits for a dbt build then. */
  stopped: boolean;
  /** Records lost between the tap and the warehouse (verify-counts.ts). */
  recordsLost: boolean;
  /**
   * The tap went through every account and logged its summary line. Without it (killed, crashed),
   * accounts it had not finished have no sync_log row: the models' spend coverage would take them
   * for accounts no longer read (int_ad_coverage__monthly) and count a month complete without them.
   */
  tapFinished: boolean;
  /** This run's accounts, from its sync_log rows (summary.ts accountsFromSyncLog). */
  accounts: readonly AccountSummary[];
}

export type ModelsGate =
  /** `stale`: accounts that failed this run; their rows stop where an earlier run left them. */
  { build: true; stale: string[] } | { build: false; why: string };

export function modelsGate(i: ModelsGateInput): ModelsGate {
  if (i.targetCode !== EXIT_CODES.ok) return { build: false, why: `the target failed (exit ${i.targetCode}): only what the saved state covers was committed` };
  if (i.recordsLost) return { build: false, why: 'records were lost between the tap and the warehouse' };
  if (i.stopped) return { build: false, why: 'the run was stopped before the tap finished' };
  const stale = i.accounts.filter((a) => isFailedStatus(a.status)).map((a) => a.account_id);
  // 5 is the tap's own "some stream of some account completed" (tap/sync.ts exitCodeOf).
  if (i.tapCode === EXIT_CODES.ok || i.tapCode === EXIT_CODES.partial) return { build: true, stale };
  if (!i.tapFinished) return { build: false, why: `the tap ended with exit ${i.tapCode} before it finished every account` };
  if (!i.accounts.some((a) => isOkStatus(a.status))) return { build: false, why: `the tap ended with exit ${i.tapCode} and no account finished` };
  return { build: true, stale };
}
