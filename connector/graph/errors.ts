// THE classification of Graph API failures: one table keyed on HTTP status + Graph code/error_subcode
// (facts §7.4), plus is_transient, never on message text (Meta rewords messages; codes are the contract)
// but for one phrase code 1 carries under its generic subcode (REDUCE_DATA_TEXT below).
// Each row says which typed error to raise, whether the client may retry it, and what the user does next.
import { AuthError, ConnectorError, DataError, PermissionError, ThrottledError, TransientError, ConfigError, type ErrorDetails } from '../core/errors.js';
import { assignPeoplePath } from './business-settings.js';
import { accountOfPath } from './paging.js';

/** The error object Graph puts under "error" (facts §7.3). Every field is optional in practice. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient?: boolean;
  fbtrace_id?: string;
}

/**
 * Who a throttle applies to, which decides what helps: another token helps only for 'token' (a
 * different user has its own budget); 'app' is shared by every token of the app, so every worker
 * pauses; 'account' budgets are per ad account whoever reads it, so only that account pauses.
 */
export type ThrottleScope = 'app' | 'token' | 'account';

/**
 * Reason carried by failures, for logs and the breaker. 'blocked' is a policy block on whoever makes
 * the call (368): it says nothing of the service's health, so the circuit breaker does not count it.
 */
export type FailureClass = 'throttle' | 'transient' | 'token_dead' | 'reduce_data' | 'blocked' | 'fatal';

/**
 * The response was too big or too slow to compute (HTTP 500 code 1 without a subcode, code 100
 * subcodes 1487534/1504018). Callers that can ask for less (a smaller page, fewer days, a finer
 * level) do so and go on; it is a DataError so a request that cannot shrink further still exits 6.
 */
export class ReduceDataError extends DataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = 'ReduceDataError';
  }
}

/**
 * Meta refused one object (an ad, a creative, a campaign node) while the account as a whole is
 * readable: code 100 with an object-level subcode. Callers reading object by object skip it with a
 * warning and keep the account; anywhere else it fails like any data error (exit 6).
 */
export class ObjectSkipError extends DataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = 'ObjectSkipError';
  }
}

/**
 * The token's user has no role on the Facebook Page the call reads (190/492): a permission failure of
 * that call alone, not of the token or the account. A reader skips what the call covered (one creative
 * read by id, or a whole edge page such as an account's /adcreatives) and the account goes on.
 */
export class PageRoleError extends PermissionError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = 'PageRoleError';
  }
}

/**
 * Meta has temporarily blocked whoever makes the call for a policy reason (code 368). It ends as "retry
 * later" (exit 7) like any passing failure, but nothing in this run cures it: it is not retried, not
 * counted by the circuit breaker (one blocked user must not pause every account), and an insights read
 * does not restart or split its jobs over it. Another token (another user) may still be tried.
 */
export class PolicyBlockError extends TransientError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = 'PolicyBlockError';
  }
}

type Kind = 'config' | 'auth' | 'permission' | 'page_role' | 'throttled' | 'transient' | 'blocked' | 'data' | 'reduce_data' | 'object' | 'unexpected';

/**
 * Where a call went, for the rows whose meaning depends on it: an ad account's node or edges
 * (`act_<id>…`), another object read for an account (a creative, a campaign by id), or neither (the
 * token's own edges: /me, me/adaccounts, a business's lists).
 */
export type CallTarget = 'account' | 'object' | 'token';

interface Rule {
  /** Graph error code, or an inclusive range. Absent = any code (status-only rows). */
  code?: number | readonly [number, number];
  /** A subcode to match, or null: the body must carry none. Absent = any subcode. */
  subcode?: number | null;
  /** Graph's exception class (`error.type`, a field, not text); absent = any. */
  type?: string;
  /** Only for calls to this target; absent = any. */
  target?: CallTarget;
  status?: number;
  kind: Kind;
  /** May the client retry it (with backoff) before surfacing it? */
  retry: boolean;
  scope?: ThrottleScope;
  /** The token itself is expired or revoked: it is not used again in this run (others take over). */
  tokenDead?: boolean;
  /** Short reason for logs and messages (never message text from Meta). */
  reason: string;
  hint: string;
}

const TOKEN_HINT = 'Issue a new token with ads_read (best: a non-expiring system-user token from Business Settings → Users → System users → Generate new token) and put it into config.access_token(s).';
const THROTTLE_HINT = 'Meta is rate-limiting these calls. Re-run later; to raise the budget request Advanced (Full) Access for ads_management on the app, lower max_concurrency, or stagger schedules of tools that share the app.';
const PAGE_ROLE_HINT = `The person or system user behind this token has no role on the Facebook Page this object belongs to (or must turn on two-factor authentication, if the Page's business requires it). In ${assignPeoplePath('Pages')} (with the Page selected), give that user a role; the token itself is fine and keeps reading everything else, and the next run reads the object again.`;
const PERMISSION_HINT = 'Give the token (its system user) a role on this ad account or business with ads_read, or drop the account from config.account_ids.';

/**
 * Rows are tried in order; the first whose code, subcode and status all match wins, so specific
 * (code, subcode) rows come before the code-only row. Sources: facts §7.4 and §7.5.
 */
export const GRAPH_ERROR_TABLE: readonly Rule[] = [
  // Code 1 family (DOCS marketing-api/error-reference; AB unit_tests/test_errors.py payloads).
  // 1/99 "An unknown error occurred" (HTTP 500) is a passing failure: retried unchanged.
  { code: 1, subcode: 99, kind: 'transient', retry: true, reason: 'unknown server error (code 1/99)', hint: 'Meta had an internal error; re-run later. If it persists for one report, check its level and breakdowns.' },
  { code: 1, subcode: 2853001, kind: 'config', retry: false, reason: 'profile not linked to a business page', hint: 'Use an ad account owned by a business, or link the profile to the delegate page.' },
  // 1 without a subcode at HTTP 500 is how Meta says "Please reduce the amount of data you're asking
  // for, then retry your request" (AB test_errors.py error_500_reduce_the_amount_of_data). Meta sends
  // its generic "An unknown error occurred" with the same code, status and no subcode, so no field
  // tells the two apart; Airbyte (streams/common.py reduce_request_record_limit) answers both by
  // halving the page, and so do we: a smaller request is the right answer to either. Retried
  // unchanged only where the caller cannot make the request smaller (GraphCallOptions.shrinkable).
  {
    code: 1,
    subcode: null,
    status: 500,
    kind: 'reduce_data',
    retry: true,
    reason: 'response too big (code 1, HTTP 500)',
    hint: 'Meta asks for less data per call: the tap halves the page size (insights: splits the job by days and level) and goes on. If it still fails at the smallest size, deselect fields of this stream.',
  },
  { code: 1, kind: 'transient', retry: true, reason: 'unknown server error (code 1)', hint: 'Meta had an internal error; re-run later.' },
  // Async report-run failures carry these in error_code/error_subcode (DOCS insights/error-codes, v25+).
  {
    code: 2,
    subcode: 1504041,
    kind: 'config',
    retry: false,
    reason: 'invalid breakdowns for this report (code 2/1504041)',
    hint: 'Meta rejects this combination of breakdowns/action_breakdowns: change the report in config.insights_reports (see README "Insights reports") or deselect it.',
  },
  { code: 2, subcode: 1504042, kind: 'config', retry: false, reason: 'invalid custom metrics for this report (code 2/1504042)', hint: 'Meta rejects a field of this report: remove it from config.insights_reports[].fields or deselect it in the catalog.' },
  { code: 2, subcode: 1504043, kind: 'transient', retry: true, reason: 'intermittent report failure (code 2/1504043)', hint: 'Meta failed to build the report this time; the tap restarts it, and re-running later is safe.' },
  { code: 2, kind: 'transient', retry: true, reason: 'service temporarily unavailable (code 2)', hint: 'Meta is temporarily unavailable; re-run later.' },
  // Code 4 is the app's budget, shared by every token of the app: every worker pauses (DOCS marketing-apis/rate-limiting).
  // 3 "API Method": the app lacks the capability (e.g. Marketing API not added, ads_read not approved): no retry helps.
  { code: 3, kind: 'permission', retry: false, reason: 'the app lacks the capability for this call (code 3)', hint: 'Add the Marketing API product to the app behind the token and get ads_read approved (App Dashboard → App Review), then re-run.' },
  { code: 4, subcode: 1504022, kind: 'throttled', retry: true, scope: 'app', reason: 'app request limit reached (code 4/1504022)', hint: THROTTLE_HINT },
  { code: 4, subcode: 1504039, kind: 'throttled', retry: true, scope: 'app', reason: 'app request limit reached (code 4/1504039)', hint: THROTTLE_HINT },
  { code: 4, kind: 'throttled', retry: true, scope: 'app', reason: 'app request limit reached (code 4)', hint: THROTTLE_HINT },
  // 104 "An access token is required": our calls always carry one, so it was lost on the way (Airbyte
  // retries this code as a connection problem, streams/common.py); if it stays, the token is the issue.
  { code: 104, kind: 'auth', retry: true, reason: 'Meta received no access token (code 104)', hint: 'Meta did not receive the access token: check that config.access_token(s) is set and that no proxy between you and Meta strips the access_token parameter.' },
  // 102 "API Session": without a subcode the login/token expired or was revoked (DOCS graph-api/guides/error-handling).
  { code: 102, kind: 'auth', retry: false, tokenDead: true, reason: 'the token session is no longer valid (code 102)', hint: TOKEN_HINT },
  { code: 10, kind: 'permission', retry: false, reason: 'app lacks permission (code 10)', hint: 'The app behind the token lacks permission for this call: grant ads_read to the app/system user, or drop the account from config.account_ids.' },
  // 17/2446079 and 613/1487742 are ad-account budgets (DOCS marketing-apis/rate-limiting): another
  // token reading the same account spends the same budget, so only that account pauses.
  { code: 17, subcode: 2446079, kind: 'throttled', retry: true, scope: 'account', reason: 'ad account request limit reached (code 17/2446079)', hint: THROTTLE_HINT },
  { code: 17, kind: 'throttled', retry: true, scope: 'token', reason: 'user request limit reached (code 17)', hint: THROTTLE_HINT },
  { code: 32, kind: 'throttled', retry: true, scope: 'token', reason: 'page request limit reached (code 32)', hint: THROTTLE_HINT },
  { code: 100, subcode: 33, kind: 'permission', retry: false, reason: 'object does not exist or the token cannot see it (code 100/33)', hint: 'Check the id exists and that the token has access to it; remove it from config (account_ids/business_ids) otherwise.' },
  { code: 100, subcode: 1487534, kind: 'reduce_data', retry: false, reason: 'data-per-call limit (code 100/1487534)', hint: 'Request fewer days, fewer fields or breakdowns; the tap splits insights requests automatically.' },
  { code: 100, subcode: 1504018, kind: 'reduce_data', retry: false, reason: 'synchronous request timed out (code 100/1504018)', hint: 'Use a smaller date range or async insights jobs.' },
  // 100 with a subcode naming one object's problem (the issue's example 2446289): the account is fine.
  { code: 100, subcode: 2446289, kind: 'object', retry: false, reason: 'one object cannot be read (code 100/2446289)', hint: 'Meta refuses this one object (often deleted or restricted); the tap skips it with this warning and reads the rest of the account.' },
  // 100 with no subcode as GraphMethodException is Graph's "Unsupported get request. Object with ID '…'
  // does not exist, cannot be loaded due to missing permissions, or does not support this operation"
  // without the 33 most captures carry (maiha/facebook.cr#3 verbatim; facebookarchive/php-graph-sdk#999
  // and facebook/facebook-php-business-sdk#268 on an ad account's edges). Where it was asked decides
  // whose it is: on an ad account's node or edges, that account (it fails, the others go on); on an
  // object read for an account, that object; on the token's own edges it stays the config row below
  // (Graph also sends this class and code for a missing or wrong appsecret_proof, facts §1.4). Airbyte
  // (streams/common.py traced_exception) makes it a config error that ends the whole sync.
  {
    code: 100,
    subcode: null,
    type: 'GraphMethodException',
    target: 'account',
    kind: 'permission',
    retry: false,
    reason: 'the ad account does not exist or the token cannot read it (code 100, GraphMethodException)',
    hint: `Check the ad account id, and that the token's system user has a role on that account with ads_read (${assignPeoplePath('Ad accounts')}), or drop it from config.account_ids; the other accounts are read. If every account fails like this, check that config.app_secret belongs to the app that issued the token.`,
  },
  {
    code: 100,
    subcode: null,
    type: 'GraphMethodException',
    target: 'object',
    kind: 'permission',
    retry: false,
    reason: 'the object does not exist or the token cannot read it (code 100, GraphMethodException)',
    hint: 'Meta refuses this one object (deleted, or owned by a business the token has no role in): readers that go object by object skip it and read the rest of the account.',
  },
  {
    code: 100,
    kind: 'config',
    retry: false,
    reason: 'invalid parameter (code 100)',
    hint: 'A field or parameter is not valid for this API version: check config.api_version, insights_reports fields and breakdowns, and that config.app_secret belongs to the app that issued the token.',
  },
  // These 190 subcodes say the token itself is expired or revoked (DOCS graph-api/guides/error-handling).
  { code: 190, subcode: 458, kind: 'auth', retry: false, tokenDead: true, reason: 'the app is not authorised for this token (code 190/458)', hint: TOKEN_HINT },
  { code: 190, subcode: 460, kind: 'auth', retry: false, tokenDead: true, reason: 'the token was invalidated by a password change (code 190/460)', hint: TOKEN_HINT },
  { code: 190, subcode: 463, kind: 'auth', retry: false, tokenDead: true, reason: 'the token has expired (code 190/463)', hint: TOKEN_HINT },
  { code: 190, subcode: 467, kind: 'auth', retry: false, tokenDead: true, reason: 'the token is invalid or logged out (code 190/467)', hint: TOKEN_HINT },
  // 459 "user checkpointed" and 464 "unconfirmed user": the token cannot be used until its person acts
  // on facebook.com (DOCS graph-api/guides/error-handling, authentication subcodes).
  {
    code: 190,
    subcode: 459,
    kind: 'auth',
    retry: false,
    tokenDead: true,
    reason: "the token's user is checkpointed (code 190/459)",
    hint: 'The person behind this token must log in at www.facebook.com and clear the security checkpoint; or use a system-user token, which has no checkpoints.',
  },
  { code: 190, subcode: 464, kind: 'auth', retry: false, tokenDead: true, reason: "the token's user is not confirmed (code 190/464)", hint: 'The person behind this token must confirm their Facebook account; or use a system-user token instead.' },
  // 492 "Invalid Session" is about one Page, not the token: Meta's table says "User associated with the
  // Page access token does not have an appropriate role on the Page" (DOCS graph-api/guides/error-handling,
  // authentication subcodes), and the captured body reads "The user must be an administrator, editor,
  // or moderator of the page in order to impersonate it…" (sandbox documented-errors.ts error_190_492).
  // Meta's own PHP Graph SDK ends the session only on 458/459/460/463/464/467, not 492
  // (facebookarchive/php-graph-sdk src/Facebook/Exceptions/FacebookResponseException.php). So the call
  // on that Page fails (another token whose user has the role is tried first), the reader skips the
  // object, and the token keeps reading every ad account.
  { code: 190, subcode: 492, kind: 'page_role', retry: false, reason: "the token's user has no role on the Page this call reads (code 190/492)", hint: PAGE_ROLE_HINT },
  // HTTP 401 "Invalid OAuth access token - Cannot parse access token": the string is not a token.
  { code: 190, status: 401, kind: 'auth', retry: false, tokenDead: true, reason: 'the token cannot be parsed (code 190, HTTP 401)', hint: TOKEN_HINT },
  // 190 without a subcode also answers a valid token that lacks a page permission ("Any of the
  // pages_read_engagement, … permission(s) must be granted before impersonating a user's page",
  // AB test_errors.py error_400_permission_must_be_granted): this call fails, the token stays in use.
  {
    code: 190,
    kind: 'permission',
    retry: false,
    reason: 'the token lacks a permission for this object (code 190)',
    hint: "The token is valid but lacks a page permission for this object: grant pages_read_engagement/pages_show_list to the system user, or deselect the page-based stream. If every call fails like this, check the token with Meta's Access Token Debugger.",
  },
  { code: 200, kind: 'permission', retry: false, reason: 'missing permission (code 200)', hint: 'Grant the token business_management/ads_read and a role on the object, or drop the account from config.account_ids.' },
  { code: 294, kind: 'permission', retry: false, reason: 'ads_management permission required (code 294)', hint: 'Grant ads_management (or ads_read for reading) to the token.' },
  // 270: the app has development access only (DOCS marketing-api/overview/authorization, access levels).
  {
    code: 270,
    kind: 'permission',
    retry: false,
    reason: 'the app has development access only (code 270)',
    hint: 'The app behind the token has Development access to the Marketing API: use a token of a user who is admin of both the app and the ad account, or request Standard Access (ads_management / Ads Management Standard Access) for the app.',
  },
  { code: [201, 299], kind: 'permission', retry: false, reason: 'missing permission (code 2xx)', hint: PERMISSION_HINT },
  // 415/1404120 "Two factor authentication required… accessing a 2fac-protected asset like a page that
  // is owned by a 2fac-protected business manager" (verbatim body on an insights read in
  // facebook/facebook-python-business-sdk#516; error_user_title "Ask user to pass two factor
  // authentication"; a new token did not help). The person behind the token must act: no retry
  // helps, another token (a system user, or a person who passed 2FA) may read it, the token stays.
  {
    code: 415,
    kind: 'permission',
    retry: false,
    reason: "the business that owns this asset requires two-factor authentication of the token's user (code 415)",
    hint: "The business owning this ad account (or Page) requires two-factor authentication: the person behind this token must turn it on in Facebook's Accounts Center and log in with it once, then generate a new token; or use a system-user token of that business, which needs no second factor.",
  },
  // 341 "Application limit reached": the app's budget, like code 4 (DOCS graph-api/guides/error-handling).
  { code: 341, kind: 'throttled', retry: true, scope: 'app', reason: 'application limit reached (code 341)', hint: THROTTLE_HINT },
  // 368 "Temporarily blocked for policies violations" — "Wait and retry the operation" (DOCS
  // graph-api/guides/error-handling). Captured bodies carry no is_transient and say what lifts it: "A
  // security check is required to proceed.", "Confirm your identity before you can publish as this
  // Page", "…until you complete Page Publishing Authorization" (sandbox documented-errors.ts error_368):
  // a person must act, so minutes of in-run retries do not help. No peer retries it (Airbyte
  // streams/common.py should_retry_api_error, singer-io tap_facebook/retry.py: only is_transient or
  // listed codes; MeltanoLabs client.py: only rate-limit texts and 5xx) and none treats it as a service
  // failure. So: not retried, not counted by the breaker, the read it hit fails (exit 7 "retry later").
  {
    code: 368,
    kind: 'blocked',
    retry: false,
    reason: 'temporarily blocked for a policy violation (code 368)',
    hint: 'Meta has temporarily blocked the person behind this token (or the app, Page or ad account) for a policy reason, often until they pass a security check or confirm their identity: log in to facebook.com as that user and complete what it asks, and check Business Support Home (Account Quality) for restrictions; then re-run. The tap does not retry it within the run, and other accounts and tokens go on.',
  },
  { code: 613, subcode: 1487742, kind: 'throttled', retry: true, scope: 'account', reason: 'ad account request limit reached (code 613/1487742)', hint: THROTTLE_HINT },
  { code: 613, kind: 'throttled', retry: true, scope: 'account', reason: 'ad account request limit reached (code 613)', hint: THROTTLE_HINT },
  { code: 960, kind: 'transient', retry: true, reason: 'batch request aborted (code 960)', hint: 'Meta aborted the request; re-run later.' },
  // 2500 "Unknown path components: /…" (OAuthException): Graph did not recognise the path. For this tap's
  // paths that is a version Meta does not serve (arsduo/koala#611: api_version "v2.80"; RealmTeam/
  // django-rest-framework-social-oauth2#180: no version) or a base URL carrying a path of its own. It
  // was unclassified (exit 1, "open an issue"); it is the configuration's to fix.
  {
    code: 2500,
    kind: 'config',
    retry: false,
    reason: 'Graph does not recognise the request path (code 2500)',
    hint: 'Check that config.api_version names a version Meta serves (e.g. v25.0: a typo such as v250.0, or a version not released yet, gets this answer) and that config.api_base_url is the host alone (https://graph.facebook.com), with no version or path after it.',
  },
  { code: 2601, kind: 'transient', retry: true, reason: 'report run results not ready (code 2601)', hint: 'The async report was read before it finished; the tap re-polls it.' },
  { code: 2635, kind: 'config', retry: false, reason: 'deprecated Marketing API version (code 2635)', hint: 'Set config.api_version to a current version (e.g. v25.0).' },
  { code: 3018, kind: 'config', retry: false, reason: 'start date beyond 37 months (code 3018)', hint: 'Insights keep 37 months of history: move config.start_date forward.' },
  { code: [80000, 80014], kind: 'throttled', retry: true, scope: 'account', reason: 'business use case rate limit', hint: THROTTLE_HINT },
  // Negative codes are internal; -2/2490547 "Report Failed" says retry later (DOCS insights/error-codes).
  { code: -2, kind: 'transient', retry: true, reason: 'report run failed (code -2)', hint: 'The async report failed on Meta’s side; the tap restarts or splits it.' },
  // Status-only fallbacks for bodies without a known code.
  { status: 429, kind: 'throttled', retry: true, scope: 'app', reason: 'HTTP 429', hint: THROTTLE_HINT },
  { status: 401, kind: 'auth', retry: false, reason: 'HTTP 401', hint: TOKEN_HINT },
  { status: 403, kind: 'permission', retry: false, reason: 'HTTP 403', hint: PERMISSION_HINT },
  { status: 500, kind: 'transient', retry: true, reason: 'HTTP 500', hint: 'Meta had an internal error; re-run later.' },
  { status: 502, kind: 'transient', retry: true, reason: 'HTTP 502', hint: 'Meta had a gateway error; re-run later.' },
  { status: 503, kind: 'transient', retry: true, reason: 'HTTP 503', hint: 'Meta is temporarily unavailable; re-run later.' },
  { status: 504, kind: 'transient', retry: true, reason: 'HTTP 504', hint: 'Meta timed out; re-run later.' },
];

const FALLBACK_TRANSIENT: Rule = { kind: 'transient', retry: true, reason: 'transient error', hint: 'Meta flagged the error as transient; re-run later.' };
const FALLBACK_5XX: Rule = { kind: 'transient', retry: true, reason: 'server error', hint: 'Meta had a server error; re-run later.' };
/** A 4xx whose body is no Graph error (a proxy's page, or an answer cut off): nothing to classify by. */
const FALLBACK_NOT_GRAPH: Rule = {
  kind: 'transient',
  retry: true,
  reason: 'answer that is not a Graph error',
  hint: 'Something other than Graph answered (a proxy or load balancer), or the answer was cut off: check config.api_base_url and any proxy in between; re-run later.',
};
const FALLBACK_UNKNOWN: Rule = {
  kind: 'unexpected',
  retry: false,
  reason: 'unclassified Graph error',
  hint: 'The Graph API answered with an error this connector does not know; open an issue with the code, subcode and fbtrace_id from this message.',
};

const matches = (rule: Rule, status: number, code: number | undefined, subcode: number | undefined, type: string | undefined, target: CallTarget | undefined): boolean => {
  if (rule.status !== undefined && rule.status !== status) return false;
  if (rule.type !== undefined && rule.type !== type) return false;
  if (rule.target !== undefined && rule.target !== target) return false;
  if (rule.code === undefined) return rule.status !== undefined && code === undefined;
  if (code === undefined) return false;
  const codeOk = typeof rule.code === 'number' ? rule.code === code : code >= rule.code[0] && code <= rule.code[1];
  if (!codeOk) return false;
  if (rule.subcode === null) return subcode === undefined;
  return rule.subcode === undefined || rule.subcode === subcode;
};

/**
 * Meta's words for "the answer would be too big" (AB test_errors.py error_500_reduce_the_amount_of_data).
 * Meta also sends them under code 1 with subcode 99, the code and subcode of its generic "An unknown
 * error occurred", the phrase then only in error_user_title/error_user_msg. For code 1 no field but the
 * text tells "retry" from "ask for less", so there (and only there) the text decides the row.
 */
const REDUCE_DATA_TEXT = /reduce the amount of data/i;
const REDUCE_DATA_ROW = GRAPH_ERROR_TABLE.find((r) => r.code === 1 && r.subcode === null)!;

/** The table row for a response to a call to `target` (exported for tests and for the retry loop). */
export function ruleFor(status: number, body: GraphErrorBody | undefined, target?: CallTarget): Rule {
  const code = typeof body?.code === 'number' ? body.code : undefined;
  const subcode = typeof body?.error_subcode === 'number' ? body.error_subcode : undefined;
  const type = typeof body?.type === 'string' ? body.type : undefined;
  if (code === 1 && [body?.message, body?.error_user_title, body?.error_user_msg].some((t) => t !== undefined && REDUCE_DATA_TEXT.test(t))) return REDUCE_DATA_ROW;
  const row = GRAPH_ERROR_TABLE.find((r) => matches(r, status, code, subcode, type, target));
  // Meta's is_transient says "the same request can succeed later" (DOCS marketing-api/error-reference):
  // it outranks a code row that would give up at once, except where the token or its rights are the
  // problem (no retry changes those) and where one object is refused (the reader skips it instead).
  if (row && body?.is_transient === true && !row.retry && (row.kind === 'config' || row.kind === 'data' || row.kind === 'unexpected')) return { ...FALLBACK_TRANSIENT, reason: `${row.reason}, flagged transient` };
  if (row) return row;
  // Status rows also apply when the code is unknown (e.g. a 503 with an unlisted code).
  const byStatus = GRAPH_ERROR_TABLE.find((r) => r.code === undefined && r.status === status);
  if (body?.is_transient === true) return FALLBACK_TRANSIENT;
  if (byStatus) return byStatus;
  if (status >= 500) return FALLBACK_5XX;
  if (code === undefined) return FALLBACK_NOT_GRAPH;
  return FALLBACK_UNKNOWN;
}

export interface GraphFailureContext {
  status: number;
  body: GraphErrorBody | undefined;
  /** Already redacted path (no token). */
  path: string;
  accountId?: string | undefined;
  tokenLabel?: string | undefined;
  /** Seconds until Meta says the budget is back (usage headers), for ThrottledError. */
  retryAfterSeconds?: number | undefined;
}

/** A classified failure: the typed error plus what the retry loop needs to know. */
export interface Classified {
  error: ConnectorError;
  retry: boolean;
  failure: FailureClass;
  scope: ThrottleScope | undefined;
}

export function graphContext(c: GraphFailureContext): Record<string, unknown> {
  return {
    http_status: c.status,
    graph_code: c.body?.code,
    graph_subcode: c.body?.error_subcode,
    fbtrace_id: c.body?.fbtrace_id,
    path: c.path,
    account_id: c.accountId,
    token_label: c.tokenLabel,
  };
}

/** What a call was about, from its path and the account it was made for. */
export const callTarget = (path: string, accountId: string | undefined): CallTarget => (accountOfPath(path) !== undefined ? 'account' : accountId !== undefined ? 'object' : 'token');

/** Builds the typed error for a Graph error response from the table. */
export function classifyGraphError(c: GraphFailureContext): Classified {
  const rule = ruleFor(c.status, c.body, callTarget(c.path, c.accountId));
  const where = c.accountId ? ` for ad account ${c.accountId}` : '';
  const who = c.tokenLabel ? ` (token "${c.tokenLabel}")` : '';
  const codeText = c.body?.code !== undefined ? ` [code ${c.body.code}${c.body.error_subcode !== undefined ? `/${c.body.error_subcode}` : ''}]` : ` [HTTP ${c.status}]`;
  // Meta's own message helps users (it names the bad field) but is only shown, never matched on.
  const metaText = c.body?.error_user_msg ?? c.body?.message;
  const message = `Graph API ${rule.reason}${where}${who} on ${c.path}${codeText}${metaText ? `: ${metaText}` : ''}`;
  const details = { hint: rule.hint, context: graphContext(c) };
  let error: ConnectorError;
  switch (rule.kind) {
    case 'auth':
      error = new AuthError(message, details);
      break;
    case 'permission':
      error = new PermissionError(message, details);
      break;
    case 'page_role':
      error = new PageRoleError(message, details);
      break;
    case 'throttled':
      error = new ThrottledError(message, c.retryAfterSeconds !== undefined ? { ...details, retryAfterSeconds: c.retryAfterSeconds } : details);
      break;
    case 'transient':
      error = new TransientError(message, details);
      break;
    case 'blocked':
      error = new PolicyBlockError(message, details);
      break;
    case 'reduce_data':
      error = new ReduceDataError(message, details);
      break;
    case 'object':
      error = new ObjectSkipError(message, details);
      break;
    case 'data':
      error = new DataError(message, details);
      break;
    case 'config':
      error = new ConfigError(message, details);
      break;
    default:
      error = new ConnectorError('unexpected', message, details);
  }
  const failure: FailureClass = rule.kind === 'throttled' ? 'throttle' : rule.kind === 'transient' ? 'transient' : rule.kind === 'reduce_data' ? 'reduce_data' : rule.kind === 'blocked' ? 'blocked' : rule.tokenDead ? 'token_dead' : 'fatal';
  return { error, retry: rule.retry || (rule.kind === 'reduce_data' && c.body?.is_transient === true), failure, scope: rule.scope };
}

/**
 * Certificate verification failures (OpenSSL's X509_V_ERR_* names as Node reports them, and Node's own
 * host-name check): a retry meets the same certificate, so these are not retried. Every other failure
 * without an HTTP answer is (reset, refused, timed out, a lost name lookup, a truncated answer…).
 */
const CERT_FAILURE = /^(?:CERT_\w+|CRL_\w+|UNABLE_TO_\w+|ERROR_IN_(?:CERT|CRL)_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** Classifies a request that got no usable HTTP answer (reset, refused, timed out). */
export function classifyNetworkError(c: { code: string | undefined; timedOut: boolean; path: string; accountId?: string | undefined; tokenLabel?: string | undefined; timeoutSeconds: number }): Classified {
  const what = c.timedOut ? `timed out after ${c.timeoutSeconds}s` : `failed (${c.code ?? 'network error'})`;
  const where = c.accountId ? ` for ad account ${c.accountId}` : '';
  const certFailure = c.code !== undefined && CERT_FAILURE.test(c.code);
  const hint = c.timedOut
    ? 'Meta did not answer in time; re-run later or raise config.request_timeout_seconds.'
    : c.code === 'ECONNREFUSED' || c.code === 'ENOTFOUND'
      ? 'The Graph host could not be reached: check network access and config.api_base_url.'
      : certFailure
        ? "The Graph host's TLS certificate did not verify: check config.api_base_url; behind a proxy that re-signs HTTPS, give Node its CA with NODE_EXTRA_CA_CERTS."
        : 'The connection to Meta failed; re-run later.';
  const error = new TransientError(`Graph API request${where} on ${c.path} ${what}`, {
    hint,
    context: { network_error: c.timedOut ? 'timeout' : (c.code ?? 'unknown'), path: c.path, account_id: c.accountId, token_label: c.tokenLabel },
  });
  return { error, retry: !certFailure, failure: 'transient', scope: undefined };
}
