import { expect } from 'chai';
import { classifyGraphError, classifyNetworkError, ObjectSkipError, PolicyBlockError, ReduceDataError, GRAPH_ERROR_TABLE } from '../../../connector/graph/errors.js';
import { AuthError, ConfigError, ConnectorError, EXIT_CODES, PermissionError, ThrottledError, TransientError } from '../../../connector/core/errors.js';

type Expect = { type: new (...a: never[]) => ConnectorError; exit: number; retry: boolean; scope?: 'app' | 'token' | 'account'; hint: RegExp };

const THROTTLE = { type: ThrottledError, exit: EXIT_CODES.retryLater, retry: true, hint: /rate-limit|Re-run later/i };
const TRANSIENT = { type: TransientError, exit: EXIT_CODES.retryLater, retry: true, hint: /re-run|re-poll|restarts/i };
const AUTH = { type: AuthError, exit: EXIT_CODES.auth, retry: false, hint: /new token with ads_read/ };
const PERM = { type: PermissionError, exit: EXIT_CODES.permission, retry: false, hint: /ads_read|access|permission|ads_management/i };
const REDUCE = { type: ReduceDataError, exit: EXIT_CODES.data, retry: false, hint: /fewer|smaller/i };
const SHRINK = { ...REDUCE, retry: true, hint: /halves the page size/ };
const OBJECT = { type: ObjectSkipError, exit: EXIT_CODES.data, retry: false, hint: /skips it/ };
const CONFIG = { type: ConfigError, exit: EXIT_CODES.config, retry: false, hint: /./ };

// Every row of the facts catalogue (meta-marketing-api.md §7.4): code, subcode, HTTP status → outcome.
const CATALOGUE: Array<[number, number | undefined, number, Expect]> = [
  // "Please reduce the amount of data…" is HTTP 500 code 1 without a subcode (issue 18 part 3):
  // shrink and go on; retried unchanged only where the request cannot shrink.
  [1, undefined, 500, SHRINK],
  [1, undefined, 400, TRANSIENT],
  [1, 99, 500, TRANSIENT], // "An unknown error occurred" is passing (DOCS error-reference)
  [1, 2853001, 400, { ...CONFIG, hint: /business/ }],
  [2, undefined, 503, TRANSIENT],
  // Async report-run failures (DOCS insights/error-codes): status is whatever the poll answered.
  [2, 1504041, 200, { ...CONFIG, hint: /breakdowns/ }],
  [2, 1504042, 200, { ...CONFIG, hint: /fields/ }],
  [2, 1504043, 200, TRANSIENT],
  [4, 1504022, 400, { ...THROTTLE, scope: 'app' }],
  [4, 1504039, 400, { ...THROTTLE, scope: 'app' }],
  [10, undefined, 403, PERM],
  [10, undefined, 400, PERM],
  [17, 2446079, 400, { ...THROTTLE, scope: 'account' }], // ad-account budget: another token shares it
  [17, undefined, 400, { ...THROTTLE, scope: 'token' }],
  [32, undefined, 400, { ...THROTTLE, scope: 'token' }],
  [100, undefined, 400, { ...CONFIG, hint: /api_version|fields/ }],
  [100, 33, 400, PERM],
  [100, 1487534, 400, REDUCE],
  [100, 1504018, 400, REDUCE],
  [100, 2446289, 400, OBJECT],
  [190, 458, 400, AUTH],
  [190, 460, 400, AUTH],
  [190, 463, 400, AUTH],
  [190, 467, 400, AUTH],
  // 492 "Invalid Session": the token's user has no role on one Page (DOCS error-handling): that Page's
  // objects are refused, the token is fine.
  [190, 492, 400, { ...PERM, hint: /role on the Facebook Page.*Business Settings/ }],
  [190, undefined, 401, AUTH], // "Cannot parse access token"
  [190, undefined, 400, { ...PERM, hint: /pages_read_engagement/ }], // valid token, missing page permission
  [200, undefined, 403, { ...PERM, hint: /business_management/ }],
  [294, undefined, 400, { ...PERM, hint: /ads_management/ }],
  // 368 "Temporarily blocked for policies violations" (DOCS error-handling): "retry later", but not in this run.
  [368, 1404006, 400, { type: PolicyBlockError, exit: EXIT_CODES.retryLater, retry: false, hint: /security check.*Account Quality/ }],
  [613, 1487742, 400, { ...THROTTLE, scope: 'account' }],
  [613, undefined, 400, { ...THROTTLE, scope: 'account' }],
  [960, undefined, 400, TRANSIENT],
  [415, 1404120, 400, { ...PERM, hint: /two-factor authentication/ }], // facebook-python-business-sdk#516
  [2500, undefined, 400, { ...CONFIG, hint: /api_version.*api_base_url/ }], // "Unknown path components" (arsduo/koala#611)
  [2601, 1815107, 400, TRANSIENT],
  [2635, undefined, 400, { ...CONFIG, hint: /api_version/ }],
  [3018, undefined, 400, { ...CONFIG, hint: /start_date/ }],
  [80000, 2446079, 400, { ...THROTTLE, scope: 'account' }],
  ...[80001, 80002, 80003, 80004, 80005, 80006, 80008, 80014].map((c): [number, undefined, number, Expect] => [c, undefined, 400, { ...THROTTLE, scope: 'account' }]),
  [-2, 2490547, 400, TRANSIENT],
];

describe('Graph error table', () => {
  for (const [code, subcode, status, exp] of CATALOGUE) {
    it(`classifies code ${code}${subcode !== undefined ? `/${subcode}` : ''} (HTTP ${status}) as ${exp.type.name}, exit ${exp.exit}${exp.retry ? ', retried' : ''}`, () => {
      const c = classifyGraphError({
        status,
        body: { code, ...(subcode !== undefined ? { error_subcode: subcode } : {}), message: 'whatever Meta says', fbtrace_id: 'TRACE1' },
        path: 'act_42/insights',
        accountId: '42',
        tokenLabel: 'agency',
      });
      expect(c.error).to.be.instanceOf(exp.type);
      expect(c.error.exitCode).to.equal(exp.exit);
      expect(c.retry).to.equal(exp.retry);
      if (exp.scope) expect(c.scope).to.equal(exp.scope);
      expect(c.error.hint ?? '').to.match(exp.hint);
      expect(c.error.context).to.include({ graph_code: code, fbtrace_id: 'TRACE1', path: 'act_42/insights', account_id: '42', http_status: status });
      expect(c.error.context['graph_subcode']).to.equal(subcode);
      expect(c.error.message).to.include('ad account 42').and.to.include('"agency"');
    });
  }

  it('reads 100 without subcode as GraphMethodException ("Unsupported get request") by where it was asked: an account\'s edges fail that account, an object read skips it, the token\'s own edges stay a config error', () => {
    const body = { code: 100, type: 'GraphMethodException', message: "Unsupported get request. Object with ID 'act_42' does not exist, cannot be loaded due to missing permissions, or does not support this operation" };
    const onAccount = classifyGraphError({ status: 400, body, path: 'act_42/campaigns', accountId: '42' }).error;
    expect(onAccount).to.be.instanceOf(PermissionError);
    expect(onAccount.exitCode).to.equal(EXIT_CODES.permission);
    expect(onAccount.hint).to.match(/role on that account.*config\.account_ids/);
    const onObject = classifyGraphError({ status: 400, body, path: '120210000000000001', accountId: '42' }).error;
    expect(onObject).to.be.instanceOf(PermissionError);
    expect(onObject.hint).to.match(/skip it/);
    const onToken = classifyGraphError({ status: 400, body, path: 'me/adaccounts' }).error;
    expect(onToken).to.be.instanceOf(ConfigError);
    expect(onToken.exitCode).to.equal(EXIT_CODES.config);
    // An invalid parameter on an account's edge (OAuthException) is still the config row: the field or version is wrong.
    expect(classifyGraphError({ status: 400, body: { ...body, type: 'OAuthException' }, path: 'act_42/campaigns', accountId: '42' }).error).to.be.instanceOf(ConfigError);
  });

  it('marks a policy block (368) as "blocked", which the circuit breaker does not count, with or without a subcode', () => {
    for (const body of [{ code: 368 }, { code: 368, error_subcode: 1404006 }, { code: 368, error_subcode: 1404078, is_transient: false }]) expect(classifyGraphError({ status: 400, body, path: 'act_1/insights' }).failure, JSON.stringify(body)).to.equal('blocked');
  });

  it('declares a token dead only for the expiry/invalidation subcodes of 190 (and an unparseable token)', () => {
    for (const sub of [458, 459, 460, 463, 464, 467]) expect(classifyGraphError({ status: 400, body: { code: 190, error_subcode: sub }, path: 'me' }).failure, `190/${sub}`).to.equal('token_dead');
    expect(classifyGraphError({ status: 401, body: { code: 190 }, path: 'me' }).failure).to.equal('token_dead');
    // 190/492: the token's user lacks a role on one Page; the token reads everything else.
    expect(classifyGraphError({ status: 400, body: { code: 190, error_subcode: 492 }, path: '123456' }).failure).to.equal('fatal');
    // 190 without a subcode on HTTP 400: a valid token lacking a page permission (AB test_errors.py).
    expect(classifyGraphError({ status: 400, body: { code: 190 }, path: '123/insights' }).failure).to.equal('fatal');
    expect(classifyGraphError({ status: 401, body: undefined, path: 'me' }).failure).to.equal('fatal');
  });

  it('pauses every worker for code 4 (the app budget) and only the account for 17/2446079 and 613/1487742', () => {
    expect(classifyGraphError({ status: 400, body: { code: 4, error_subcode: 1504022 }, path: 'p' }).scope).to.equal('app');
    expect(classifyGraphError({ status: 400, body: { code: 4, error_subcode: 1504039 }, path: 'p' }).scope).to.equal('app');
    expect(classifyGraphError({ status: 400, body: { code: 17, error_subcode: 2446079 }, path: 'p' }).scope).to.equal('account');
    expect(classifyGraphError({ status: 400, body: { code: 613, error_subcode: 1487742 }, path: 'p' }).scope).to.equal('account');
  });

  it('reads "reduce the amount of data" under code 1/99 as a request too big, where the same code and subcode saying "An unknown error occurred" stays a passing failure', () => {
    const unknown = classifyGraphError({ status: 500, body: { code: 1, error_subcode: 99, message: 'An unknown error occurred' }, path: 'p' });
    expect(unknown.error).to.be.instanceOf(TransientError);
    expect(unknown.failure).to.equal('transient');
    const tooBig = classifyGraphError({
      status: 500,
      body: { code: 1, error_subcode: 99, message: 'An unknown error occurred', error_user_title: 'Please reduce the amount of data', error_user_msg: "Please reduce the amount of data you're asking for, then retry your request" },
      path: 'p',
    });
    expect(tooBig.error).to.be.instanceOf(ReduceDataError);
    expect([tooBig.failure, tooBig.retry]).to.deep.equal(['reduce_data', true]);
  });

  it("decides by code, not message text (code 1's reduce-data phrase aside): the same code with different messages gives the same class", () => {
    const a = classifyGraphError({ status: 500, body: { code: 1, message: 'An unknown error occurred' }, path: 'p' });
    const b = classifyGraphError({ status: 500, body: { code: 1, message: 'too many calls, reduce the amount of data' }, path: 'p' });
    expect(a.error.constructor).to.equal(b.error.constructor);
    expect(a.retry).to.equal(b.retry);
    const c = classifyGraphError({ status: 400, body: { code: 100, message: 'Please reduce the amount of data you are asking for' }, path: 'p' });
    expect(c.error).to.be.instanceOf(ConfigError);
  });

  it('falls back on is_transient, then on the HTTP status, for codes the table does not know', () => {
    expect(classifyGraphError({ status: 400, body: { code: 123456, is_transient: true }, path: 'p' }).error).to.be.instanceOf(TransientError);
    expect(classifyGraphError({ status: 502, body: { code: 123456 }, path: 'p' }).error).to.be.instanceOf(TransientError);
    expect(classifyGraphError({ status: 503, body: undefined, path: 'p' }).retry).to.equal(true);
    expect(classifyGraphError({ status: 429, body: undefined, path: 'p' }).error).to.be.instanceOf(ThrottledError);
    const unknown = classifyGraphError({ status: 400, body: { code: 123456, fbtrace_id: 'X9' }, path: 'p' });
    expect(unknown.error.exitCode).to.equal(EXIT_CODES.unexpected);
    expect(unknown.retry).to.equal(false);
    expect(unknown.error.hint).to.match(/fbtrace_id/);
  });

  it('carries the seconds Meta asked to wait on a throttle', () => {
    const c = classifyGraphError({ status: 400, body: { code: 80004 }, path: 'p', retryAfterSeconds: 300 });
    expect((c.error as ThrottledError).retryAfterSeconds).to.equal(300);
  });

  it('puts every throttle code of the facts into a throttled row', () => {
    const throttleCodes = [4, 17, 32, 613, ...Array.from({ length: 15 }, (_, i) => 80000 + i)];
    for (const code of throttleCodes) {
      expect(classifyGraphError({ status: 400, body: { code }, path: 'p' }).failure, `code ${code}`).to.equal('throttle');
    }
    expect(
      GRAPH_ERROR_TABLE.every((r) => r.hint.length > 20),
      'every row says what to do next',
    ).to.equal(true);
  });

  it('treats timeouts and connection resets as transient and retryable', () => {
    const t = classifyNetworkError({ code: 'ECONNABORTED', timedOut: true, path: 'act_1/ads', accountId: '1', timeoutSeconds: 120 });
    expect(t.error).to.be.instanceOf(TransientError);
    expect(t.retry).to.equal(true);
    expect(t.error.message).to.include('timed out after 120s');
    expect(t.error.hint).to.include('request_timeout_seconds');
    const r = classifyNetworkError({ code: 'ECONNRESET', timedOut: false, path: 'act_1/ads', timeoutSeconds: 120 });
    expect(r.retry).to.equal(true);
    expect(r.error.context).to.include({ network_error: 'ECONNRESET' });
  });

  it('retries any other failure without an answer but not a certificate that did not verify', () => {
    expect(classifyNetworkError({ code: 'EPROTO', timedOut: false, path: 'p', timeoutSeconds: 1 }).retry).to.equal(true);
    expect(classifyNetworkError({ code: undefined, timedOut: false, path: 'p', timeoutSeconds: 1 }).retry).to.equal(true);
    for (const code of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      const c = classifyNetworkError({ code, timedOut: false, path: 'p', timeoutSeconds: 1 });
      expect(c.retry, code).to.equal(false);
      expect(c.error.hint, code).to.include('NODE_EXTRA_CA_CERTS');
    }
  });
});
