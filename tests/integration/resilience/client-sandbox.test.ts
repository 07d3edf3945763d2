// The Graph client against the loopback sandbox with injected faults: every throttle code, 5xx,
// timeouts, resets, tokens dying mid-run, forbidden accounts. Outcomes are asserted both from the
// client's typed errors/stats and from what the sandbox says it served (stats()).
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { GraphClient, type TokenRef } from '../../../connector/graph/client.js';
import { checkTokens } from '../../../connector/graph/tokens.js';
import { AuthError, PermissionError, ThrottledError, TransientError } from '../../../connector/core/errors.js';
import { fakeTime, memoryLogger, parsed, tapConfig } from '../../unit/graph/fake-graph.js';

const APP_SECRET = 'sandbox-app-secret-0001';

describe('Graph client against the sandbox with injected faults', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  let tokens: TokenRef[];
  /** An account exactly one token reaches, and one two tokens reach (the small world has both). */
  let solo: { account: string; token: TokenRef };
  let shared: { account: string; tokens: [TokenRef, TokenRef] };

  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 7, appSecret: APP_SECRET });
    tokens = sb.tokens.map((t) => ({ label: t.label, token: t.token }));
    const reach = new Map<string, TokenRef[]>();
    for (const t of sb.tokens) {
      const user = sb.world.users.find((u) => u.id === t.userId);
      for (const a of user?.accountIds ?? []) reach.set(a, [...(reach.get(a) ?? []), { label: t.label, token: t.token }]);
    }
    const soloEntry = [...reach].find(([, ts]) => ts.length === 1);
    const sharedEntry = [...reach].find(([, ts]) => ts.length >= 2);
    if (!soloEntry || !sharedEntry) throw new Error('the small world should have an account seen by one token and one seen by two');
    solo = { account: soloEntry[0], token: soloEntry[1][0]! };
    shared = { account: sharedEntry[0], tokens: [sharedEntry[1][0]!, sharedEntry[1][1]!] };
  });
  after(async () => sb?.close());
  beforeEach(() => {
    sb.faults.clear();
    sb.resetStats();
  });

  const make = (over: Record<string, unknown> = {}) => {
    const secrets = [APP_SECRET, ...tokens.map((t) => t.token)];
    const mem = memoryLogger(secrets);
    const time = fakeTime();
    const config = {
      ...tapConfig({ api_base_url: sb.baseUrl, api_version: sb.apiVersion, app_secret: APP_SECRET, access_tokens: tokens, page_size: 1, circuit_breaker: { failures: 100, pause_seconds: 0.05 } }),
      ...over,
    };
    const client = new GraphClient({ config, log: mem.log, clock: time.clock, sleep: time.sleep });
    return { client, mem, time, secrets, config };
  };
  const campaigns = async (client: GraphClient, account: string, toks: TokenRef[]): Promise<string[]> => {
    const ids: string[] = [];
    for await (const row of client.paginate<{ id: string }>(`act_${account}/campaigns`, { tokens: toks, accountId: account, params: { fields: ['id', 'name'] } })) ids.push(row.id);
    return ids;
  };
  /** `n` reads of an account's ads by id (ids repeat: a batch may ask for one object twice). */
  const adReads = (n: number, account = solo.account): Array<{ path: string; params: Record<string, unknown> }> => {
    const ads = sb.world.ads.filter((a) => a.accountId === account).map((a) => a.id);
    return Array.from({ length: n }, (_, i) => ({ path: ads[i % ads.length]!, params: { fields: ['id', 'name'] } }));
  };
  const batchPosts = (): number => sb.stats().byEndpoint['POST /'] ?? 0;
  const noSecrets = (text: string, secrets: string[]): void => {
    for (const s of secrets) expect(text.includes(s), 'a secret leaked').to.equal(false);
  };

  it('pages an edge completely with appsecret_proof on every call, whatever the page size', async () => {
    const { client } = make();
    const small = await campaigns(client, solo.account, [solo.token]);
    const calls = sb.stats().calls;
    const { client: big } = make({ page_size: 500 });
    const all = await campaigns(big, solo.account, [solo.token]);
    expect(small).to.have.length.greaterThan(1);
    expect(new Set(small).size).to.equal(small.length);
    expect([...small].sort()).to.deep.equal([...all].sort());
    expect(calls).to.be.at.least(small.length);
    expect(client.statsFor(solo.account).api_calls).to.equal(calls);
  });

  for (const code of [4, 17, 32, 613, ...Array.from({ length: 15 }, (_, i) => 80000 + i)]) {
    it(`retries a code ${code} throttle after the announced wait and then gets the data`, async () => {
      const { client, time } = make();
      const clean = await campaigns(make().client, solo.account, [solo.token]);
      sb.resetStats();
      sb.faults.add({ kind: 'throttle', code, path: `/act_${solo.account}/campaigns`, times: 1, regainMinutes: 2 });
      const ids = await campaigns(client, solo.account, [solo.token]);
      expect(ids).to.deep.equal(clean);
      const st = sb.stats();
      expect(st.throttles).to.equal(1);
      expect(client.statsFor(solo.account)).to.include({ throttles: 1, retries: 1, errors: 0 });
      expect(client.statsFor(solo.account).api_calls).to.equal(st.calls);
      expect(Math.max(...time.sleeps)).to.be.at.least(120_000); // estimated_time_to_regain_access = 2 min
    });
  }

  it('moves to the second token without sleeping when the first is throttled at user level (code 32: its own budget)', async () => {
    const { client, time } = make();
    sb.faults.add({ kind: 'throttle', code: 32, token: shared.tokens[0].label, regainMinutes: 0 });
    const ids = await campaigns(client, shared.account, shared.tokens);
    expect(ids.length).to.be.greaterThan(0);
    expect(time.sleeps.filter((ms) => ms >= 1000)).to.deep.equal([]);
    const st = sb.stats();
    expect(st.byToken[shared.tokens[0].label]).to.equal(1);
    expect(st.byToken[shared.tokens[1].label]).to.equal(st.calls - 1);
  });

  it('surfaces a throttle that outlives max_retries as ThrottledError (exit 7) with the calls it cost', async () => {
    const { client } = make({ max_retries: 2 });
    sb.faults.add({ kind: 'throttle', code: 80004, path: `/act_${solo.account}/campaigns`, regainMinutes: 1 });
    const err = await campaigns(client, solo.account, [solo.token]).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ThrottledError);
    expect((err as ThrottledError).exitCode).to.equal(7);
    expect(sb.stats().throttles).to.equal(3);
    expect(client.statsFor(solo.account)).to.deep.equal({ api_calls: 3, throttles: 3, retries: 2, errors: 1 });
  });

  for (const kind of ['http_500', 'http_503', 'reset'] as const) {
    it(`recovers from two ${kind} faults with two retries`, async () => {
      const { client } = make();
      sb.faults.add({ kind, path: `/act_${solo.account}/campaigns`, times: 2 });
      const ids = await campaigns(client, solo.account, [solo.token]);
      expect(ids.length).to.be.greaterThan(0);
      expect(client.statsFor(solo.account).retries).to.equal(2);
      expect(sb.stats().faultsFired[kind]).to.equal(2);
    });

    it(`gives up on a persistent ${kind} after max_retries with a TransientError (exit 7)`, async () => {
      const { client, mem, secrets } = make({ max_retries: 2 });
      sb.faults.add({ kind, path: `/act_${solo.account}/campaigns` });
      const err = (await campaigns(client, solo.account, [solo.token]).catch((e: unknown) => e)) as TransientError;
      expect(err).to.be.instanceOf(TransientError);
      expect(err.exitCode).to.equal(7);
      expect(sb.stats().faultsFired[kind]).to.equal(3);
      noSecrets(err.message + JSON.stringify(err.context) + mem.text(), secrets);
    });
  }

  it('times out a request that never answers and retries it', async () => {
    const { client } = make({ request_timeout_seconds: 0.3 });
    sb.faults.add({ kind: 'timeout', path: `/act_${solo.account}/campaigns`, times: 1 });
    const ids = await campaigns(client, solo.account, [solo.token]);
    expect(ids.length).to.be.greaterThan(0);
    expect(client.statsFor(solo.account).retries).to.equal(1);
    expect(sb.stats().faultsFired['timeout']).to.equal(1);
  });

  it('halves the page size when the sandbox says to reduce the amount of data', async () => {
    const { client, mem } = make({ page_size: 8 });
    sb.faults.add({ kind: 'reduce_data', path: `/act_${solo.account}/campaigns`, times: 1 });
    const ids = await campaigns(client, solo.account, [solo.token]);
    expect(ids.length).to.be.greaterThan(0);
    expect(mem.text()).to.include('page size 4 instead of 8');
  });

  it('finishes with the second token when the first expires mid-run, and reports the dead one by label', async () => {
    const { client, mem, secrets } = make();
    const clean = await campaigns(make().client, shared.account, shared.tokens);
    sb.faults.add({ kind: 'token_expired', token: shared.tokens[0].label, after: 1 });
    const ids = await campaigns(client, shared.account, shared.tokens);
    expect(ids).to.deep.equal(clean);
    expect(client.deadTokens()).to.deep.equal([shared.tokens[0].label]);
    const warn = parsed(mem.text()).find((l) => l['level'] === 'warn' && l['token_label'] === shared.tokens[0].label);
    expect(warn).to.not.equal(undefined);
    noSecrets(mem.text(), secrets);
  });

  it("rotates to the next token when Meta refuses the batch request's own token (190/463 for the whole call), and the items run once, with that token", async () => {
    const { client } = make();
    const [dead, next] = shared.tokens;
    sb.faults.add({ kind: 'token_expired', token: dead.label });
    const reads = adReads(4, shared.account);
    const out = await client.requestBatch<{ id: string }>(reads, { tokens: [dead, next], accountId: shared.account });
    expect(out.map((a) => (a.ok ? a.body.id : a.error.message))).to.deep.equal(reads.map((r) => r.path));
    expect(client.deadTokens()).to.deep.equal([dead.label]);
    const s = sb.stats();
    expect(s.errorsByCode['190'], 'one refusal, of the batch request itself').to.equal(1);
    expect(batchPosts()).to.equal(2);
    expect(s.byEndpoint['GET /{id}'], 'the items ran only in the batch sent with the living token').to.equal(reads.length);
    expect(s.byToken[next.label]).to.equal(1 + reads.length);
  });

  it('fails with AuthError (exit 3) naming the token when the only token expires mid-run', async () => {
    const { client } = make();
    sb.faults.add({ kind: 'token_expired', token: solo.token.label, after: 1 });
    const err = (await campaigns(client, solo.account, [solo.token]).catch((e: unknown) => e)) as AuthError;
    expect(err).to.be.instanceOf(AuthError);
    expect(err.exitCode).to.equal(3);
    expect(err.message).to.include(`"${solo.token.label}"`);
    expect(client.deadTokens()).to.deep.equal([solo.token.label]);
    expect(sb.stats().calls).to.equal(2);
  });

  it('fails with PermissionError (exit 4) carrying the account when the account is forbidden', async () => {
    const { client } = make();
    sb.faults.add({ kind: 'account_forbidden', accountId: solo.account });
    const err = (await campaigns(client, solo.account, [solo.token]).catch((e: unknown) => e)) as PermissionError;
    expect(err).to.be.instanceOf(PermissionError);
    expect(err.exitCode).to.equal(4);
    expect(err.context['account_id']).to.equal(solo.account);
    expect(typeof err.context['fbtrace_id']).to.equal('string');
    expect(sb.stats().calls).to.equal(1);
  });

  it('opens the circuit breaker on a run of failures and logs why', async () => {
    const { client, mem } = make({ circuit_breaker: { failures: 3, pause_seconds: 0.05 }, max_retries: 4 });
    sb.faults.add({ kind: 'http_503', path: `/act_${solo.account}/campaigns`, times: 4 });
    const ids = await campaigns(client, solo.account, [solo.token]);
    expect(ids.length).to.be.greaterThan(0);
    expect(client.breakerOpens()).to.be.at.least(1);
    const opened = parsed(mem.text()).find((l) => String(l['msg']).startsWith('circuit breaker opened'));
    expect(String(opened?.['reason'])).to.match(/code 2|HTTP 503/);
  });

  describe('a Batch API call Meta answers "reduce the amount of data" (500, code 1)', () => {
    it('halves a batch refused as a whole for holding more than 10 requests until the batches are served, every item answered once', async () => {
      const { client, mem } = make({ max_retries: 2 });
      sb.faults.add({ kind: 'reduce_data', maxBatch: 10 });
      const reads = adReads(40);
      const out = await client.requestBatch<{ id: string }>(reads, { tokens: [solo.token], accountId: solo.account });
      expect(out.map((a) => (a.ok ? a.body.id : a.error.message))).to.deep.equal(reads.map((r) => r.path));
      // 40 refused, 2 × 20 refused, 4 × 10 served: never the same batch twice.
      expect(sb.stats().faultsFired['reduce_data']).to.equal(3);
      expect(batchPosts()).to.equal(7);
      expect(sb.stats().batches, 'batches the sandbox served').to.equal(4);
      expect(
        parsed(mem.text())
          .filter((l) => String(l['msg']).startsWith('Meta asked for less data in a Batch API call'))
          .map((l) => l['batch_size']),
      ).to.deep.equal([20, 10, 10]);
    });

    it('sends an item refused on its own again in a smaller batch, and reads it as a plain GET (retried, then a transient failure) when even a batch of one is refused', async () => {
      const { client } = make({ max_retries: 2 });
      const reads = adReads(8);
      const [once, always] = [reads[2]!.path, reads[5]!.path];
      sb.faults.add({ kind: 'reduce_data', path: `^/${once}$`, times: 1 });
      sb.faults.add({ kind: 'reduce_data', path: `^/${always}$` });
      const out = await client.requestBatch<{ id: string }>(reads, { tokens: [solo.token], accountId: solo.account });
      expect(out.filter((a, i) => i !== 5).every((a) => a.ok)).to.equal(true);
      const failed = out[5]!;
      expect(failed.ok).to.equal(false);
      if (!failed.ok) expect(failed.error).to.be.instanceOf(TransientError);
      // 8, then the two refused items in a batch of ≤ 4 (one served), then the other alone in a batch of 1,
      // then as a plain GET: once and max_retries (2) more times.
      expect(batchPosts()).to.equal(3);
      expect(sb.stats().byEndpoint['GET /{id}']).to.equal(8 + 2 + 1 + 3);
    });
  });

  it('checks every world token with debug_token and names an expired one', async () => {
    const { client, mem, config } = make();
    const checks = await checkTokens(client, tokens, config, mem.log);
    expect(checks.map((c) => c.label)).to.deep.equal(tokens.map((t) => t.label));
    const expired = sb.world.expiredTokens[0];
    if (!expired) throw new Error('the small world should have an expired token');
    const err = await checkTokens(client, [{ label: expired.label, token: expired.token }], config, mem.log).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AuthError);
    expect((err as AuthError).message).to.include(`"${expired.label}"`);
  });
});

describe('usage-header pacing against the sandbox call budgets', function () {
  this.timeout(60_000);
  const CALLS = 120;

  /** A sandbox whose account budget is 30 calls per minute, regaining on the test's fake clock. */
  const budgeted = async (time: ReturnType<typeof fakeTime>) => {
    const sb = await startSandbox({ world: 'small', seed: 5, rateLimits: { accountBudget: 30, appBudget: 1_000_000, regainSeconds: 60, now: time.now } });
    const tok = sb.tokens[0]!;
    const account = sb.world.users.find((u) => u.id === tok.userId)!.accountIds[0]!;
    return { sb, tok, account };
  };

  it('slows down before the budget is spent and is never throttled, where calls that ignore usage are', async () => {
    // Without pacing: fire the calls, and when throttled wait the announced time and go on.
    const rawTime = fakeTime();
    const raw = await budgeted(rawTime);
    let rawThrottles = 0;
    try {
      for (let i = 0; i < CALLS; i++) {
        for (;;) {
          const res = await fetch(`${raw.sb.baseUrl}/${raw.sb.apiVersion}/act_${raw.account}?fields=id&access_token=${raw.tok.token}`);
          if (res.status === 200) break;
          rawThrottles++;
          const buc = JSON.parse(res.headers.get('x-business-use-case-usage') ?? '{}') as Record<string, Array<{ estimated_time_to_regain_access: number }>>;
          await rawTime.sleep((buc[raw.account]?.[0]?.estimated_time_to_regain_access ?? 1) * 60_000);
        }
      }
    } finally {
      await raw.sb.close();
    }

    const time = fakeTime();
    const { sb, tok, account } = await budgeted(time);
    try {
      const mem = memoryLogger();
      const config = tapConfig({ api_base_url: sb.baseUrl, api_version: sb.apiVersion, access_token: tok.token, usage_pause_threshold: 75, retry_base_ms: 1000 });
      const client = new GraphClient({ config, log: mem.log, clock: time.clock, sleep: time.sleep });
      for (let i = 0; i < CALLS; i++) await client.request(`act_${account}`, { tokens: [{ label: tok.label, token: tok.token }], params: { fields: ['id'] } });
      expect(rawThrottles, 'the budget binds').to.be.greaterThan(0);
      expect(sb.stats().throttles).to.equal(0);
      expect(client.statsFor(account)).to.deep.equal({ api_calls: CALLS, throttles: 0, retries: 0, errors: 0 });
      expect(mem.text()).to.include('pacing Graph calls');
      // Spreading the calls costs about the (fake) time of running into the blocks and waiting them
      // out, which here is the budget's own floor; real throttles add penalty blocks on top.
      const start = Date.parse('2026-11-20T00:00:00Z');
      expect(time.now() - start).to.be.at.most(1.25 * (rawTime.now() - start));
    } finally {
      await sb.close();
    }
  });
});
