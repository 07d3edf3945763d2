// The error each fault kind serves (facts §7.4): throttles carry usage headers saying 100 % and a
// non-zero estimated_time_to_regain_access (facts §7.1).
import { documentedError } from './documented-errors.js';
import { E, GraphError, throttleSubcode } from './errors.js';
import type { FaultSpec } from './faults.js';
import { accountHeaders, appHeaders } from './ratelimit.js';

export function faultError(f: FaultSpec, accountId: string | null, path: string): GraphError {
  switch (f.kind) {
    case 'http_500':
      return E.unknown500(f.subcode);
    case 'http_503':
      return E.unavailable503();
    case 'reduce_data':
      return E.reduceData();
    case 'page_permission':
      return E.pagePermission();
    case 'object_error':
      return E.objectUnavailable(/^\/(\d+)/.exec(path)?.[1] ?? path, f.subcode);
    case 'account_forbidden':
      return f.code === 10 ? E.permission10() : E.permission200();
    case 'graph_error':
      return documentedError(f.name ?? '', accountId ?? /\/act_(\d+)/.exec(path)?.[1] ?? '0');
    case 'throttle': {
      const code = f.code ?? 80000;
      const regain = f.regainMinutes ?? 5;
      const insights = /\/insights$/.test(path) || code === 80000;
      const headers: Record<string, string> = { ...appHeaders(code === 4 ? 100 : 42) };
      const acct = accountId ?? /\/act_(\d+)/.exec(path)?.[1] ?? null;
      if (acct !== null) Object.assign(headers, accountHeaders(acct, insights ? 'ads_insights' : 'ads_management', 100, regain, regain * 60000, code === 4 ? 100 : 42));
      return E.throttle(code, f.subcode ?? throttleSubcode(code), headers);
    }
    default:
      return E.unknown500();
  }
}
