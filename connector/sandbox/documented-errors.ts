// Graph errors as Meta documents or public captures show them, by name, for the `graph_error` fault
// and the real-answer fixture (tests/fixtures/graph/real-answers/, REAL-ANSWERS.md names each source).
// Only code, subcode, status, is_transient and the headers matter to clients; message text marked
// [unconfirmed] is plausible wording no public capture quotes.
import { E, GraphError, throttleMessage } from './errors.js';
import { accountHeaders, appHeaders } from './ratelimit.js';

/** Where the answer's shape comes from (shown in REAL-ANSWERS.md). */
const DOCS_ERRORS = 'developers.facebook.com/docs/graph-api/guides/error-handling';
const DOCS_RATE = 'developers.facebook.com/docs/marketing-api/overview/rate-limiting';

interface Documented {
  source: string;
  /** `account` = the bare ad account id the call touched (throttles name it in their headers). */
  make: (account: string) => GraphError;
}

const ACCOUNT_THROTTLE_USER = { userTitle: 'Ad Account Has Too Many API Calls', userMsg: 'There have been too many calls from this ad-account. Please wait a bit and try again.' };
const buc =
  (code: number, useCase: 'ads_insights' | 'ads_management', regainMinutes: number) =>
  (account: string): GraphError =>
    new GraphError({ status: 400, code, subcode: 2446079, message: throttleMessage(code), isTransient: true }, accountHeaders(account, useCase, 100, regainMinutes, regainMinutes * 60_000, 42));
const tokenError = (subcode: number, message: string) => (): GraphError => new GraphError({ status: 400, code: 190, subcode, message });

export const DOCUMENTED_ERRORS: Readonly<Record<string, Documented>> = {
  error_80000_ads_insights: { source: `${DOCS_RATE} (ads_insights BUC, 80000/2446079); Airbyte unit_tests/test_errors.py error_400_too_many_calls`, make: buc(80000, 'ads_insights', 1) },
  error_80004_ads_management: { source: `${DOCS_RATE} (ads_management BUC, 80004/2446079)`, make: buc(80004, 'ads_management', 2) },
  error_80004_regain_too_long: { source: `${DOCS_RATE}: estimated_time_to_regain_access is minutes, up to an hour`, make: buc(80004, 'ads_management', 45) },
  error_17_2446079: { source: `${DOCS_RATE} (17/2446079 ad-account throttle); user title/message as Airbyte test_errors.py`, make: () => new GraphError({ status: 400, code: 17, subcode: 2446079, message: throttleMessage(17), isTransient: true, ...ACCOUNT_THROTTLE_USER }) },
  error_17: { source: `${DOCS_ERRORS} (17 "API User Too Many Calls")`, make: () => new GraphError({ status: 400, code: 17, message: throttleMessage(17), isTransient: true }) },
  error_4: { source: `${DOCS_ERRORS} (4 "API Too Many Calls"), with X-App-Usage at 100 %`, make: () => new GraphError({ status: 400, code: 4, message: throttleMessage(4), isTransient: true }, appHeaders(100)) },
  error_32: { source: `${DOCS_ERRORS} (32 page-level throttle)`, make: () => new GraphError({ status: 400, code: 32, message: throttleMessage(32), isTransient: true }) },
  error_613: { source: 'facebook/facebook-python-business-sdk#661 (captured body: code 613, no subcode, no is_transient)', make: () => new GraphError({ status: 400, code: 613, message: '(#613) You can have at most 250 queries per minute' }) },
  error_613_1487742: { source: `${DOCS_RATE} (613/1487742 ad-account throttle)`, make: () => new GraphError({ status: 400, code: 613, subcode: 1487742, message: '(#613) Calls to this api have exceeded the rate limit.', isTransient: true, ...ACCOUNT_THROTTLE_USER }) },
  error_341: { source: `${DOCS_ERRORS} (341 "Application limit reached"); message [unconfirmed]`, make: () => new GraphError({ status: 400, code: 341, message: '(#341) Application limit reached', isTransient: true }) },
  error_1_99: { source: 'Airbyte unit_tests/test_errors.py error_500_unknown', make: () => E.unknown500(99) },
  error_1_reduce_data: { source: 'Airbyte unit_tests/test_errors.py error_500_reduce_the_amount_of_data', make: () => E.reduceData() },
  error_2_unavailable: { source: `${DOCS_ERRORS} (2 "API Service": temporary, retry)`, make: () => E.unavailable503() },
  error_2_http_500: { source: `${DOCS_ERRORS} (2 at HTTP 500 with is_transient); message [unconfirmed]`, make: () => new GraphError({ status: 500, code: 2, message: 'An unexpected error has occurred. Please retry your request later.', isTransient: true }) },
  error_104: { source: "Graph's answer to a call without a token; Airbyte streams/common.py FACEBOOK_CONNECTION_RESET_ERROR_CODE = 104 (retried)", make: () => E.noToken() },
  error_102: { source: `${DOCS_ERRORS} (102 "API Session", no subcode: token expired or revoked); message [unconfirmed]`, make: () => new GraphError({ status: 400, code: 102, message: 'Session key invalid or no longer valid' }) },
  error_190_458: { source: `${DOCS_ERRORS} (190/458 app not installed)`, make: () => E.tokenInvalidated(458, '123456789') },
  error_190_459: { source: `${DOCS_ERRORS} (190/459 user checkpointed); message [unconfirmed]`, make: tokenError(459, 'Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.') },
  error_190_460: { source: `${DOCS_ERRORS} (190/460 password changed)`, make: () => E.tokenInvalidated(460, '123456789') },
  error_190_463: { source: 'Airbyte unit_tests/test_errors.py error_400_validating_access_token_session_expired', make: () => E.tokenExpired('Friday, 20-Nov-26 01:00:00 PST', 'Friday, 20-Nov-26 02:00:00 PST') },
  error_190_464: { source: `${DOCS_ERRORS} (190/464 unconfirmed user); message [unconfirmed]`, make: tokenError(464, 'Error validating access token: Sessions for the user are not allowed because the user is not a confirmed user.') },
  error_190_467: { source: `${DOCS_ERRORS} (190/467 invalid access token)`, make: () => E.tokenInvalidated(467, '123456789') },
  // Meta's table: 492 "Invalid Session", "User associated with the Page access token does not have an
  // appropriate role on the Page". The body (message, OAuthException, 190, 492, fbtrace_id; no
  // is_transient, no user title/message) as captured verbatim in a public social-publishing tool's Jest
  // test ("should handle FB must be admin error", getErrorResolution); the same message without a
  // subcode is quoted in snarfed/bridgy#596 (2016).
  error_190_492: {
    source: `${DOCS_ERRORS} (190/492 "Invalid Session": the token's user has no role on the Page); body as captured in public tests (getErrorResolution "FB must be admin"), message also in snarfed/bridgy#596`,
    make: tokenError(492, 'The user must be an administrator, editor, or moderator of the page in order to impersonate it. If the page business requires Two Factor Authentication, the user also needs to enable Two Factor Authentication.'),
  },
  error_190_page_permission: { source: 'Airbyte unit_tests/test_errors.py error_400_permission_must_be_granted', make: () => E.pagePermission() },
  error_190_cannot_parse: { source: `${DOCS_ERRORS} (190 at HTTP 401, a string that is no token)`, make: () => E.cannotParseToken() },
  error_200: { source: `${DOCS_ERRORS} (200-299 permissions)`, make: () => E.permission200() },
  error_200_ads_read: {
    source: 'the (#200) answer to a token without ads_read on the account, as quoted verbatim in many public Meta Ads projects (HTTP status varies 400/403 in their notes)',
    make: () => new GraphError({ status: 400, code: 200, message: '(#200) Ad account owner has NOT grant ads_management or ads_read permission' }),
  },
  error_10: { source: `${DOCS_ERRORS} (10 "API Permission Denied")`, make: () => E.permission10() },
  error_270: {
    source: 'developers.facebook.com/docs/marketing-api/overview/authorization (development access level); message [unconfirmed] beyond its first sentence',
    make: () =>
      new GraphError({
        status: 400,
        code: 270,
        message:
          '(#270) This Ads API request is not allowed for apps with development access level (Development access is by default for all apps, please request for upgrade). Make sure that the access token belongs to a user that is both admin of the app and admin of the ad account',
      }),
  },
  error_294: { source: `${DOCS_ERRORS} (294 ads_management required)`, make: () => new GraphError({ status: 400, code: 294, message: '(#294) Managing advertisements requires an access token with the extended permission for ads_management' }) },
  error_3: { source: `${DOCS_ERRORS} (3 "API Method": capability or permission issue)`, make: () => new GraphError({ status: 400, code: 3, message: '(#3) Application does not have the capability to make this API call.' }) },
  error_2635: { source: 'developers.facebook.com/docs/marketing-api/marketing-api-changelog (deprecated version answer)', make: () => E.deprecatedVersion('v25.0') },
  // Meta's table: 368 "Temporarily blocked for policies violations", "Wait and retry the operation".
  // Body as captured verbatim in a public social-publishing tool's Jest test ("should handle Facebook
  // security check errors", getErrorResolution): OAuthException, 368/1404006, an empty
  // error_user_msg, no is_transient (its error_data.sentry_block_data is left out: no client reads it).
  error_368: {
    source: `${DOCS_ERRORS} (368 "Temporarily blocked for policies violations": wait and retry); body as captured in public tests (getErrorResolution "Facebook security check"), without error_data`,
    make: () => new GraphError({ status: 400, code: 368, subcode: 1404006, message: 'A security check is required to proceed.', userMsg: '' }),
  },
  // A run that said "Job Completed" at 100 % whose rows Meta then refuses (Meta's advice in the bug
  // report singer-io#43 links: retry); the same body answers a read before completion (report-runs.ts).
  error_2601_1815107: {
    source: 'singer-io/tap-facebook#43 (verbatim body, read after "Job Completed" 100 %); also singer-io/tap-facebook#193',
    make: () =>
      new GraphError({
        status: 400,
        code: 2601,
        subcode: 1815107,
        message: 'Error accessing adreport job.',
        isTransient: true,
        userTitle: 'Loading Async Ads Report Failed',
        userMsg: 'Sorry, the report cannot be loaded successfully. Please check if your job status is completed instead of failed or running before fetching the data.',
      }),
  },
  error_415_1404120: {
    source: 'facebook/facebook-python-business-sdk#516 (verbatim body on an insights read; HTTP status not shown there: 400 assumed [unconfirmed])',
    make: () =>
      new GraphError({
        status: 400,
        code: 415,
        subcode: 1404120,
        message: 'Two factor authentication required. User have to enter a code from SMS or TOTP code generator to pass 2fac. This could happen when accessing a 2fac-protected asset like a page that is owned by a 2fac-protected business manager.',
        isTransient: false,
        userTitle: 'Ask user to pass two factor authentication',
        userMsg: 'Unknown error',
      }),
  },
  // Meta also answers a report run it has just created or completed this way for a while (airbytehq/airbyte#46545
  // quotes the body verbatim for GET /<run id>/insights; singer-io/tap-facebook retries subcode 33 for it).
  error_100_33: { source: `${DOCS_ERRORS}; Graph's "Unsupported get request" (100/33); on a fresh report run: airbytehq/airbyte#46545`, make: () => E.unsupportedGet('123') },
  // The same words under code 100 with no subcode, as GraphMethodException (maiha/facebook.cr#3 quotes such
  // a body verbatim; facebookarchive/php-graph-sdk#999 and facebook/facebook-php-business-sdk#268 got it
  // reading an ad account's campaigns and insights, "Error Code: 100" and no subcode).
  error_100_unsupported_get: {
    source: "maiha/facebook.cr#3 (verbatim body: GraphMethodException, code 100, no subcode); facebookarchive/php-graph-sdk#999 and facebook/facebook-php-business-sdk#268 (on an ad account's edges)",
    make: (account) => E.unsupportedGet(`act_${account}`, null),
  },
  error_100_nonexisting_field: { source: 'issue 18 (Meta lists every offending field)', make: () => E.nonexistingField('assigned_ad_accounts', 'User') },
  error_100_2446289: {
    source: 'airbytehq/airbyte#65944 (verbatim body, seen on the ad_creatives, ad_sets and ad_accounts streams); #66027 (same, "reel"); Airbyte PR #66182 classifies the subcode as a config error',
    make: () => E.creativeIncomplete(),
  },
};

export const DOCUMENTED_ERROR_NAMES: readonly string[] = Object.keys(DOCUMENTED_ERRORS);

/** The documented answer by name (throws naming the known ones otherwise). */
export function documentedError(name: string, account: string): GraphError {
  const d = DOCUMENTED_ERRORS[name];
  if (!d) throw new Error(`no documented Graph error named "${name}" (one of ${DOCUMENTED_ERROR_NAMES.join(', ')})`);
  return d.make(account);
}
