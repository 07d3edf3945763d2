// Graph error bodies exactly as the API shapes them (facts §7.3) and the catalogue of the ones the
// sandbox serves (facts §7.4). Route code throws GraphError; the server turns it into a response.
import { INSIGHTS_FIELDS_DOC } from './meta-sdk/rules.js';

export interface GraphErrorSpec {
  status: number;
  code: number;
  message: string;
  /** Graph's exception type; null = the body carries none (as in the captured reduce-data answer). */
  type?: string | null;
  subcode?: number;
  userTitle?: string;
  userMsg?: string;
  isTransient?: boolean;
}

export class GraphError extends Error {
  readonly spec: GraphErrorSpec;
  /** Extra response headers (throttle errors carry usage headers saying 100 %). */
  readonly headers: Record<string, string>;
  constructor(spec: GraphErrorSpec, headers: Record<string, string> = {}) {
    super(spec.message);
    this.spec = spec;
    this.headers = headers;
  }
  body(fbtraceId: string): Record<string, unknown> {
    const s = this.spec;
    const e: Record<string, unknown> = { message: s.message };
    if (s.type !== null) e['type'] = s.type ?? 'OAuthException';
    e['code'] = s.code;
    if (s.subcode !== undefined) e['error_subcode'] = s.subcode;
    if (s.isTransient !== undefined) e['is_transient'] = s.isTransient;
    if (s.userTitle !== undefined) e['error_user_title'] = s.userTitle;
    if (s.userMsg !== undefined) e['error_user_msg'] = s.userMsg;
    e['fbtrace_id'] = fbtraceId;
    return { error: e };
  }
}

const RATE_DOC = 'For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.';

export const E = {
  // facts §7.4 code 100 family
  invalidParam: (msg: string) => new GraphError({ status: 400, code: 100, message: `(#100) ${msg}` }),
  nonexistingField: (field: string, type: string) => new GraphError({ status: 400, code: 100, message: `(#100) Tried accessing nonexisting field (${field}) on node type (${type})` }),
  /** Lists every offending name (meta-sdk/rules.ts, INSIGHTS_FIELDS_DOC). */
  notValidForFields: (fields: readonly string[]) =>
    new GraphError({
      status: 400,
      code: 100,
      message: `(#100) ${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} not valid for fields param. please check ${INSIGHTS_FIELDS_DOC} for all valid values`,
    }),
  /** Subcode 33 as most captures carry it; `null` for the bodies that carry none (documented-errors.ts error_100_unsupported_get). */
  unsupportedGet: (id: string, subcode: 33 | null = 33) =>
    new GraphError({
      status: 400,
      code: 100,
      ...(subcode === null ? {} : { subcode }),
      type: 'GraphMethodException',
      message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    }),
  unsupportedPost: (id: string) =>
    new GraphError({
      status: 400,
      code: 100,
      subcode: 33,
      type: 'GraphMethodException',
      message: `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    }),
  unknownPath: (seg: string) => new GraphError({ status: 400, code: 2500, message: `Unknown path components: /${seg}` }),
  missingPermissions: () => new GraphError({ status: 400, code: 100, message: '(#100) Missing permissions' }),
  // facts §1.4
  proofMissing: () => new GraphError({ status: 400, code: 100, type: 'GraphMethodException', message: 'API calls from the server require an appsecret_proof argument' }),
  proofInvalid: () => new GraphError({ status: 400, code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' }),
  // facts §7.4 code 190; 104 "access token required" is the usual Graph answer [unconfirmed in facts]
  noToken: () => new GraphError({ status: 400, code: 104, message: 'An access token is required to request this resource.' }),
  cannotParseToken: () => new GraphError({ status: 401, code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }),
  /** 190 with the other subcodes (facts §7.4: 458 app not authorized, 460 password changed, 467 invalid). */
  tokenInvalidated: (subcode: number, appId: string) =>
    new GraphError({
      status: 400,
      code: 190,
      subcode,
      message:
        subcode === 458
          ? `Error validating access token: The user has not authorized application ${appId}.`
          : subcode === 460
            ? 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.'
            : 'Error validating access token: The user is not logged in.',
    }),
  tokenExpired: (expiredAt: string, now: string) => new GraphError({ status: 400, code: 190, subcode: 463, message: `Error validating access token: Session has expired on ${expiredAt}. The current time is ${now}.` }),
  // facts §7.4 codes 200 / 10
  permission200: () => new GraphError({ status: 403, code: 200, message: '(#200) Requires business_management permission to manage the object' }),
  permission10: () => new GraphError({ status: 403, code: 10, message: '(#10) Application does not have permission for this action' }),
  // facts §1.1
  deprecatedVersion: (latest: string) => new GraphError({ status: 400, code: 2635, message: `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${latest}.` }),
  // facts §4.5 / §7.4
  retention: () => new GraphError({ status: 400, code: 3018, message: '(#3018) The start date of the time range cannot be beyond 37 months from the current date' }),
  // facts §5.1
  reportNotReady: () =>
    new GraphError({
      status: 400,
      code: 2601,
      subcode: 1815107,
      isTransient: true,
      message: 'Error accessing adreport job.',
      userTitle: 'Loading Async Ads Report Failed',
      userMsg: 'Sorry, the report cannot be loaded successfully. Please check if your job status is completed instead of failed or running before fetching the data.',
    }),
  // facts §4.1: data-per-call limit of synchronous insights
  dataPerCall: () => new GraphError({ status: 400, code: 100, subcode: 1487534, type: 'CodeException', message: "(#100) Please reduce the amount of data you're asking for, then retry your request" }),
  // facts §7.4 transient family
  // Meta's generic 500 as captured: code 1, subcode 99, no type (AB unit_tests/test_errors.py
  // error_500_unknown). Code 1 without a subcode is what `reduceData` sends.
  unknown500: (subcode = 99) => new GraphError({ status: 500, code: 1, subcode, type: null, message: 'An unknown error occurred' }),
  unavailable503: () => new GraphError({ status: 503, code: 2, message: '(#2) Service temporarily unavailable', isTransient: true }),
  // HTTP 500, code 1, no subcode, no type: as captured in AB unit_tests/test_errors.py
  // (error_500_reduce_the_amount_of_data) and macbre/farerskie-kadry-feed#10.
  reduceData: () => new GraphError({ status: 500, code: 1, type: null, message: "Please reduce the amount of data you're asking for, then retry your request" }),
  // 190 without a subcode on a valid token that lacks a page permission (AB unit_tests/test_errors.py
  // error_400_permission_must_be_granted).
  pagePermission: () =>
    new GraphError({
      status: 400,
      code: 190,
      message: "Any of the pages_read_engagement, pages_manage_metadata, pages_read_user_content, pages_manage_ads, pages_show_list or pages_messaging permission(s) must be granted before impersonating a user's page.",
    }),
  // 100 with an object-level subcode: one object cannot be read, the account can. 2446289 is Meta's
  // "Ad Creative Is Incomplete" answer (creativeIncomplete below); another subcode gets a body whose
  // text is [unconfirmed] (only code and subcode matter to clients).
  objectUnavailable: (id: string, subcode = 2446289): GraphError =>
    subcode === 2446289 ? E.creativeIncomplete() : new GraphError({ status: 400, code: 100, subcode, message: `(#100) Object ${id} is not available`, userTitle: 'Object Not Available', userMsg: 'This object cannot be read right now.' }),
  // A creative whose post or reel was deleted, on its edge page or its node: Meta's answer as recorded
  // in airbytehq/airbyte#65944 (2025-09; #66027 has the same title with "reel" for "post"). #65944 saw
  // it fail the ad_sets and ad_accounts streams too; Airbyte PR #66182 quotes the message as "The
  // {post_type} you selected for your ad is not available…" (world.ts makeIncomplete).
  creativeIncomplete: () =>
    new GraphError({
      status: 400,
      code: 100,
      subcode: 2446289,
      message: 'Invalid parameter',
      isTransient: false,
      userTitle: 'Ad Creative Is Incomplete',
      userMsg: 'The post you selected for your ad is not available. It could be deleted or you might not have permissions to see it. Please check your ad creative and try again.',
    }),
  // facts §8
  batchTooBig: () => new GraphError({ status: 400, code: 1, type: 'GraphBatchException', message: 'Too many requests in batch message. Maximum batch size is 50' }),
  // facts §7.4 throttle codes
  throttle: (code: number, subcode: number | undefined, headers: Record<string, string>) => new GraphError({ status: 400, code, message: throttleMessage(code), isTransient: true, ...(subcode !== undefined ? { subcode } : {}) }, headers),
};

export function throttleMessage(code: number): string {
  if (code === 4) return '(#4) Application request limit reached';
  if (code === 17) return '(#17) User request limit reached';
  if (code === 32) return '(#32) Page request limit reached';
  if (code === 613) return '(#613) There have been too many calls from this ad-account. Please wait a bit and try again.';
  if (code === 80000) return `(#80000) There have been too many calls from this ad-account. Wait a bit and try again. ${RATE_DOC}`;
  return `(#${code}) There have been too many calls to this ad-account. Wait a bit and try again. ${RATE_DOC}`;
}

/** Default subcodes per throttle code (facts §7.4). */
export function throttleSubcode(code: number): number | undefined {
  if (code === 4) return 1504022;
  if (code === 17 || code === 80000) return 2446079;
  if (code === 613) return 1487742;
  return undefined;
}

/** Fields of a failed AdReportRun (v25+ error_* fields, DOCS blog 2026-01-08). */
export interface AsyncFailure {
  error_code: number;
  error_subcode: number;
  error_message: string;
  error_user_title: string;
  error_user_msg: string;
}

/**
 * The async failures Meta documents (DOCS marketing-api/insights/error-codes: code, subcode, summary,
 * description). error_user_title/error_user_msg are the page's summary/description; error_message
 * ("a message corresponding to the error_code") is not quoted on the page, so the summary stands in [unconfirmed].
 */
export const ASYNC_FAILURES: readonly AsyncFailure[] = [
  { error_code: -2, error_subcode: 2490547, error_message: 'Report Failed', error_user_title: 'Report Failed', error_user_msg: 'Generating the report failed. Try again later.' },
  { error_code: 4, error_subcode: 1504022, error_message: 'Too Many API Requests', error_user_title: 'Too Many API Requests', error_user_msg: 'Your app has exceeded the allowed number of API requests. Wait before retrying. For more info, see API Rate Limits.' },
  { error_code: 4, error_subcode: 1504039, error_message: 'Too Many API Requests', error_user_title: 'Too Many API Requests', error_user_msg: 'Your app has exceeded the allowed number of API requests. Wait before retrying. For more info, see API Rate Limits.' },
  { error_code: 2, error_subcode: 1504041, error_message: 'Invalid Breakdowns', error_user_title: 'Invalid Breakdowns', error_user_msg: 'No data is available for the requested metrics and breakdowns. Try different metrics or breakdowns. See Breakdowns.' },
  { error_code: 2, error_subcode: 1504042, error_message: 'Invalid Custom Metrics', error_user_title: 'Invalid Custom Metrics', error_user_msg: 'You are querying invalid custom metrics. Try selecting different ones.' },
  { error_code: 2, error_subcode: 1504043, error_message: 'Intermittent Error', error_user_title: 'Intermittent Error', error_user_msg: 'Your request encountered an intermittent error. Retry at a later time.' },
];

/** The documented failure for (code, subcode); -2/2490547 "Report Failed" when none is named. */
export function asyncFailure(code: number | undefined, subcode: number | undefined): AsyncFailure {
  const hit = ASYNC_FAILURES.find((f) => (code === undefined || f.error_code === code) && (subcode === undefined || f.error_subcode === subcode));
  if (!hit) throw new Error(`no documented async failure with code ${String(code)} and subcode ${String(subcode)} (one of ${ASYNC_FAILURES.map((f) => `${f.error_code}/${f.error_subcode}`).join(', ')})`);
  return code === undefined && subcode === undefined ? ASYNC_FAILURES[0]! : hit;
}
