import { expect } from 'chai';
import { GraphClient } from '../../../connector/graph/client.js';
import { checkTokens } from '../../../connector/graph/tokens.js';
import { AuthError, PermissionError } from '../../../connector/core/errors.js';
import { startFakeGraph, graphError, tapConfig, memoryLogger, fakeTime, parsed, type FakeGraph } from './fake-graph.js';

const NOW = Date.parse('2026-11-20T00:00:00Z');
const DAY = 86_400;
const toks = {
  forever: { label: 'forever', token: 'sbx_forever_aa11bb22' },
  soon: { label: 'soon', token: 'sbx_soon_cc33dd44' },
  gone: { label: 'gone', token: 'sbx_gone_ee55ff66' },
  narrow: { label: 'narrow', token: 'sbx_narrow_0099aabb' },
  invalid: { label: 'invalid', token: 'sbx_invalid_77889900' },
  dead: { label: 'dead', token: 'sbx_dead_1234abcd' },
  garbled: { label: 'garbled', token: 'sbx_garbled_5678ef01' },
};
const info: Record<string, Record<string, unknown>> = {
  [toks.forever.token]: { is_valid: true, type: 'USER', user_id: '1001', scopes: ['ads_read', 'business_management'], expires_at: 0 },
  [toks.soon.token]: { is_valid: true, type: 'USER', user_id: '1002', scopes: ['ads_read'], expires_at: NOW / 1000 + 3 * DAY },
  [toks.gone.token]: { is_valid: true, type: 'USER', user_id: '1003', scopes: ['ads_read'], expires_at: NOW / 1000 - DAY },
  [toks.narrow.token]: { is_valid: true, type: 'USER', user_id: '1004', scopes: ['public_profile', 'pages_show_list'], expires_at: 0 },
  [toks.invalid.token]: { is_valid: false, error: { code: 190, subcode: 460, message: 'x' } },
};

describe('checkTokens', () => {
  let fake: FakeGraph;
  before(async () => {
    fake = await startFakeGraph((req) => {
      if (!req.path.endsWith('/debug_token')) return { status: 404, json: graphError(100) };
      if (req.query.get('access_token') === toks.dead.token) return { status: 400, json: graphError(190, 463) };
      if (req.query.get('access_token') === toks.garbled.token) return { status: 400, json: graphError(190, undefined, { message: 'Invalid OAuth access token.' }) };
      return { json: { data: info[req.query.get('input_token') ?? ''] ?? { is_valid: false } } };
    });
  });
  after(async () => fake.close());

  const setup = (warnDays = 7) => {
    const mem = memoryLogger();
    const time = fakeTime(NOW);
    const config = tapConfig({ api_base_url: fake.baseUrl, token_expiry_warning_days: warnDays });
    const client = new GraphClient({ config, log: mem.log, clock: time.clock, sleep: time.sleep });
    return { mem, config, client, clock: time.clock };
  };

  it('accepts a non-expiring token with ads_read and reports its scopes', async () => {
    const { client, config, mem, clock } = setup();
    const [r] = await checkTokens(client, [toks.forever], config, mem.log, { clock });
    expect(r).to.include({ label: 'forever', expiresAt: null, userId: '1001' });
    expect(r!.scopes).to.include('ads_read');
    expect(r!.warnings).to.deep.equal([]);
    expect(fake.seen.at(-1)!.query.get('input_token')).to.equal(toks.forever.token);
  });

  it('warns, with how to issue a long-lived system-user token, when a token expires within the warning window', async () => {
    const { client, config, mem, clock } = setup(7);
    const [r] = await checkTokens(client, [toks.soon], config, mem.log, { clock });
    expect(r!.warnings.join()).to.include('token "soon" expires').and.to.include('in 3 days');
    const warn = parsed(mem.text()).find((l) => l['level'] === 'warn');
    expect(String(warn?.['hint'])).to.include('System users').and.to.include('Never');
  });

  it('does not warn when the expiry lies beyond token_expiry_warning_days', async () => {
    const { client, config, mem, clock } = setup(2);
    const [r] = await checkTokens(client, [toks.soon], config, mem.log, { clock });
    expect(r!.warnings.filter((w) => w.includes('expires'))).to.deep.equal([]);
  });

  it('fails with an AuthError naming the label of an expired token when it is the only one', async () => {
    const { client, config, mem, clock } = setup();
    const err = await checkTokens(client, [toks.gone], config, mem.log, { clock }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AuthError);
    expect((err as AuthError).message).to.include('token "gone" expired');
    expect((err as AuthError).exitCode).to.equal(3);
  });

  it('returns an expired token among working ones with its problem, logged as an error naming it, instead of failing the run', async () => {
    const { client, config, mem, clock } = setup();
    const checks = await checkTokens(client, [toks.forever, toks.gone, toks.narrow], config, mem.log, { clock });
    expect(checks.map((c) => [c.label, c.problem?.exitCode ?? null])).to.deep.equal([
      ['forever', null],
      ['gone', 3],
      ['narrow', 4],
    ]);
    const errors = parsed(mem.text()).filter((l) => l['level'] === 'error');
    expect(errors.map((l) => l['token_label'])).to.deep.equal(['gone', 'narrow']);
    expect(String(errors[0]!['msg'])).to.include('token "gone" expired').and.to.include('goes on');
  });

  it('fails with an AuthError for a token debug_token calls invalid, and for one Meta rejects outright', async () => {
    const { client, config, mem, clock } = setup();
    const e1 = await checkTokens(client, [toks.invalid], config, mem.log, { clock }).catch((e: unknown) => e);
    expect(e1).to.be.instanceOf(AuthError);
    expect((e1 as AuthError).message)
      .to.include('"invalid"')
      .and.to.include('190/460');
    const e2 = await checkTokens(client, [toks.dead], config, mem.log, { clock }).catch((e: unknown) => e);
    expect(e2).to.be.instanceOf(AuthError);
    expect((e2 as AuthError).message).to.include('"dead"');
    expect(client.deadTokens()).to.deep.equal(['dead']);
  });

  it('treats 190 without a subcode on debug_token as an invalid token (exit 3): no page is involved there', async () => {
    const { client, config, mem, clock } = setup();
    const err = await checkTokens(client, [toks.garbled], config, mem.log, { clock }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AuthError);
    expect((err as AuthError).message).to.include('"garbled"');
    expect((err as AuthError).exitCode).to.equal(3);
  });

  it('fails with a PermissionError when a token lacks ads_read', async () => {
    const { client, config, mem, clock } = setup();
    const err = await checkTokens(client, [toks.narrow], config, mem.log, { clock }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PermissionError);
    expect((err as PermissionError).message)
      .to.include('"narrow"')
      .and.to.include('ads_read');
    expect((err as PermissionError).exitCode).to.equal(4);
  });

  it('never writes a token into its logs or errors', async () => {
    const { client, config, mem, clock } = setup();
    await checkTokens(client, [toks.soon], config, mem.log, { clock });
    const err = (await checkTokens(client, [toks.gone], config, mem.log, { clock }).catch((e: unknown) => e)) as AuthError;
    const text = mem.text() + err.message + JSON.stringify(err.context);
    for (const t of Object.values(toks)) expect(text).not.to.include(t.token);
  });
});
