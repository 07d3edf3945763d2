// The per-account ceiling on Graph calls in one run (config.max_api_calls_per_account). Whatever goes
// wrong inside an account (a report that keeps failing, a retry cascade), it cannot spend more of the
// budget Meta shares between tools than this; reaching it ends that account, the others go on.
import { ThrottledError } from '../core/errors.js';

/** Raised before the call that would exceed the cap; never sent, so it costs Meta nothing. */
export class CallBudgetError extends ThrottledError {
  constructor(accountId: string, cap: number, path: string) {
    super(`ad account ${accountId} reached max_api_calls_per_account (${cap} Graph calls in this run) before calling ${path}; its remaining work is left for the next run`, {
      hint: 'The bookmarks of what finished were saved, so the next run resumes. If this account legitimately needs more calls per run (many objects, a long start_date), raise max_api_calls_per_account; if sync_log shows failing insights jobs, see README "Insights report runs that stall or fail".',
      context: { account_id: accountId, max_api_calls_per_account: cap, path },
    });
    this.name = 'CallBudgetError';
  }
}

/** Throws CallBudgetError when `used` calls already reached the cap; accounts are never capped when unknown. */
export function checkCallBudget(accountId: string | undefined, used: number, cap: number, path: string): void {
  if (accountId !== undefined && used >= cap) throw new CallBudgetError(accountId, cap, path);
}
