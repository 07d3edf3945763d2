// Insights parameters the sandbox checks as Meta does: a breakdown that only exists inside another
// (platform_position without publisher_platform → Meta's own "(#100) Current combination of data
// breakdown columns (…) is invalid"), and bool parameters such as use_unified_attribution_setting.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { graphGet, graphPost } from './helpers.js';

describe('sandbox: insights breakdown combinations and bool parameters', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  let token: string;
  let acct: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20', jobDurationMs: 0 });
    const t = sb.tokens.find((x) => x.label === 'agency')!;
    token = t.token;
    acct = `act_${sb.world.users.find((u) => u.id === t.userId)!.accountIds[0]!}`;
  });
  after(async () => sb?.close());
  const day = { time_range: JSON.stringify({ since: '2026-11-18', until: '2026-11-18' }), time_increment: '1', fields: 'impressions,spend' };

  it("refuses platform_position without publisher_platform with Meta's wording, listing action breakdowns then breakdowns", async () => {
    const alone = await graphGet(sb.baseUrl, `/${acct}/insights`, token, { ...day, breakdowns: JSON.stringify(['platform_position']) });
    expect(alone.status).to.equal(400);
    expect(alone.json.error).to.include({ code: 100, type: 'OAuthException', message: '(#100) Current combination of data breakdown columns (action_type, platform_position) is invalid' });
    const asyncRun = await graphPost(sb.baseUrl, `/${acct}/insights`, token, { ...day, breakdowns: JSON.stringify(['platform_position']), action_breakdowns: JSON.stringify(['action_type', 'action_destination']) });
    expect(asyncRun.json.error.message).to.equal('(#100) Current combination of data breakdown columns (action_type, action_destination, platform_position) is invalid');
    const both = await graphGet(sb.baseUrl, `/${acct}/insights`, token, { ...day, breakdowns: JSON.stringify(['publisher_platform', 'platform_position']) });
    expect(both.status, both.text).to.equal(200);
    expect(both.json.data.length).to.be.greaterThan(0);
    expect(both.json.data[0]).to.have.property('platform_position');
  });

  it('takes use_unified_attribution_setting / use_account_attribution_setting as booleans only (bool in the SDK)', async () => {
    const ok = await graphGet(sb.baseUrl, `/${acct}/insights`, token, { ...day, use_unified_attribution_setting: 'true', use_account_attribution_setting: 'false' });
    expect(ok.status, ok.text).to.equal(200);
    const bad = await graphGet(sb.baseUrl, `/${acct}/insights`, token, { ...day, use_unified_attribution_setting: 'yes' });
    expect(bad.status).to.equal(400);
    expect(bad.json.error).to.include({ code: 100, message: '(#100) Param use_unified_attribution_setting must be a boolean' });
  });
});
