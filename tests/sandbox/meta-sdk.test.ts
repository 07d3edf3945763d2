// The sandbox accepts and refuses what Meta's SDK metadata says (connector/sandbox/meta-sdk), driven
// over HTTP with the payload shapes real clients send: the fields, edges and enum values the real peers
// were wrongly refused (issue 18), Graph's error wording, default projections, version gates.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { graphApiMeta } from '../../connector/sandbox/meta.js';
import { graphPost, http, sleep, type Res } from './helpers.js';

const INSIGHTS_DOC = 'please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values';

describe('sandbox: what Meta accepts, from the SDK metadata', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  let agency: string;
  let acct: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20', jobDurationMs: 0 });
    agency = sb.tokens.find((t) => t.label === 'agency')!.token;
    acct = sb.world.users.find((u) => u.id === sb.tokens.find((t) => t.label === 'agency')!.userId)!.accountIds[0]!;
  });
  after(async () => sb?.close());

  const get = (path: string, params: Record<string, string> = {}, version = 'v25.0'): Promise<Res> => http(`${sb.baseUrl}/${version}${path}?${new URLSearchParams({ ...params, access_token: agency }).toString()}`);
  const day = { time_range: JSON.stringify({ since: '2026-11-18', until: '2026-11-18' }), time_increment: '1' };

  describe('graph-api.json', () => {
    it('is stamped with the SDK, its version, the Graph version it targets and the command that regenerates it', () => {
      const { stamp, nodes } = graphApiMeta();
      expect(stamp.sdk_package).to.equal('facebook-business');
      expect(stamp.sdk_version).to.match(/^\d+\.\d+\.\d+$/);
      expect(stamp.api_version).to.equal(`v${stamp.sdk_version.split('.')[0]}.0`);
      expect(stamp.command).to.match(/connector\/sandbox\/meta-sdk\/generate\.py/);
      for (const served of ['User', 'Business', 'BusinessUser', 'AdAccount', 'Campaign', 'AdSet', 'Ad', 'AdCreative', 'AdReportRun', 'AdsPixel', 'ProductCatalog', 'Page']) {
        expect(nodes[served]?.edges, served).to.be.an('object');
        expect(Object.keys(nodes[served]!.fields), served).to.include('id');
      }
      expect(nodes['AdsInsights']!.fields).to.have.property('spend');
      const insights = nodes['AdAccount']!.edges!['insights']!;
      expect(insights.target).to.equal('AdsInsights');
      expect(insights.params['breakdowns']!.enum).to.include('age');
      expect(nodes['AdAccount']!.post_edges!['insights']!.target).to.equal('AdReportRun');
      // creation params the SDK's Field class appends are not readable fields
      expect(nodes['AdReportRun']!.fields).to.not.have.property('breakdowns');
      expect(nodes['Campaign']!.fields).to.not.have.property('execution_options');
    });

    it('is exactly what generate.py produces when META_SDK_PYTHON names a Python with facebook-business', function () {
      const py = process.env['META_SDK_PYTHON'];
      const probe = py ? spawnSync(py, ['-c', 'import facebook_business'], { encoding: 'utf8' }) : undefined;
      if (!py || probe?.status !== 0) {
        // Without the SDK the stamp and shape test above stands; the file must still be valid JSON as committed.
        expect(() => JSON.parse(readFileSync(new URL('../../connector/sandbox/meta-sdk/graph-api.json', import.meta.url), 'utf8'))).to.not.throw();
        return;
      }
      const r = spawnSync(py, ['connector/sandbox/meta-sdk/generate.py', '--check'], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    });
  });

  describe('fields', () => {
    it('serves the object fields the real peers were refused (AdAccount, AdSet, Ad)', async () => {
      const a = await get(`/act_${acct}`, { fields: 'account_id,can_create_brand_lift_study,fb_entity,line_numbers' });
      expect(a.status, a.text).to.equal(200);
      expect(a.json.account_id).to.equal(acct);
      const sets = await get(`/act_${acct}/adsets`, { fields: 'id,lifetime_imps,recurring_budget_semantics' });
      expect(sets.status, sets.text).to.equal(200);
      const ads = await get(`/act_${acct}/ads`, { fields: 'id,conversion_domain' });
      expect(ads.status, ads.text).to.equal(200);
      expect(ads.json.data.length).to.be.greaterThan(0);
    });

    it('serves the insights fields the real peers were refused, sync and async', async () => {
      const fields = 'impressions,spend,average_purchases_conversion_value,estimated_ad_recall_rate,shops_assisted_purchases';
      const r = await get(`/act_${acct}/insights`, { ...day, fields, level: 'ad' });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.data.length).to.be.greaterThan(0);
      const run = await graphPost(sb.baseUrl, `/act_${acct}/insights`, agency, { ...day, fields, level: 'ad' });
      expect(run.status, run.text).to.equal(200);
      expect(run.json.report_run_id).to.be.a('string');
    });

    it('refuses insights fields AdsInsights lacks, naming every one as Graph does', async () => {
      const r = await get(`/act_${acct}/insights`, { ...day, fields: 'impressions,landing_page_views,age,spend' });
      expect(r.status).to.equal(400);
      expect(r.json.error).to.include({ code: 100, type: 'OAuthException', message: `(#100) landing_page_views, age are not valid for fields param. ${INSIGHTS_DOC}` });
    });

    it('refuses a field a node type lacks with (#100) nonexisting field, under the type name Graph uses', async () => {
      const acctErr = await get(`/act_${acct}`, { fields: 'account_id,colour,permitted_tasks' });
      expect(acctErr.status).to.equal(400);
      expect(acctErr.json.error).to.include({ code: 100, message: '(#100) Tried accessing nonexisting field (colour) on node type (AdAccount)' });
      const set = await get(`/act_${acct}/adsets`, { fields: 'id,daily_imps' }); // a creation param in the SDK's Field class
      expect(set.json.error.message).to.equal('(#100) Tried accessing nonexisting field (daily_imps) on node type (AdCampaign)');
      const ad = await get(`/act_${acct}/ads`, { fields: 'id,colour' });
      expect(ad.json.error.message).to.equal('(#100) Tried accessing nonexisting field (colour) on node type (Adgroup)');
    });

    it('reads a Python list repr in fields= as a list of names (MeltanoLabs sends it)', async () => {
      const r = await get('/me/adaccounts', { fields: "['account_id', 'name', 'currency']" });
      expect(r.status, r.text).to.equal(200);
      expect(Object.keys(r.json.data[0]).sort()).to.deep.equal(['account_id', 'currency', 'id', 'name']);
      const bad = await get('/me/adaccounts', { fields: "['account_id', 'funding_source_details_id']" });
      expect(bad.json.error.message).to.equal('(#100) Tried accessing nonexisting field (funding_source_details_id) on node type (AdAccount)');
    });

    it("adds an edge's own fields to its nodes: permitted_tasks on client ad accounts only", async () => {
      const biz = (await get('/me/businesses')).json.data[0].id as string;
      const client = await get(`/${biz}/client_ad_accounts`, { fields: 'account_id,permitted_tasks' });
      expect(client.status, client.text).to.equal(200);
      const owned = await get(`/${biz}/owned_ad_accounts`, { fields: 'account_id,permitted_tasks' });
      expect(owned.json.error.message).to.equal('(#100) Tried accessing nonexisting field (permitted_tasks) on node type (AdAccount)');
    });
  });

  describe('edges', () => {
    it('answers GET /act_X/assigned_users?business= with the users and their tasks, as Airbyte reads them without fields=', async () => {
      const bu = await get('/me/business_users');
      expect(bu.status, bu.text).to.equal(200);
      const me = bu.json.data[0];
      expect(me.business.id).to.be.a('string'); // default projection of BusinessUser includes business
      const users = await get(`/act_${acct}/assigned_users`, { business: me.business.id });
      expect(users.status, users.text).to.equal(200);
      const self = users.json.data.find((u: { id: string }) => u.id === me.id);
      expect(self.tasks).to.include('MANAGE');
      expect(Object.keys(self).sort()).to.deep.equal(['id', 'name', 'permitted_tasks', 'tasks']);
      const missing = await get(`/act_${acct}/assigned_users`);
      expect(missing.json.error.code).to.equal(100);
    });

    it('refuses an edge the node type lacks with (#100) nonexisting field', async () => {
      const r = await get('/me/colours');
      expect(r.status).to.equal(400);
      expect(r.json.error.message).to.equal('(#100) Tried accessing nonexisting field (colours) on node type (User)');
      const c = await get(`/act_${acct}/business_users`);
      expect(c.json.error.message).to.equal('(#100) Tried accessing nonexisting field (business_users) on node type (AdAccount)');
    });

    it('answers an edge Graph has but the world holds nothing for with an empty list, after checking its fields', async () => {
      const r = await get(`/act_${acct}/customaudiences`, { fields: 'id,name,approximate_count_lower_bound', summary: 'true' });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.data).to.deep.equal([]);
      const bad = await get(`/act_${acct}/customaudiences`, { fields: 'id,colour' });
      expect(bad.json.error.message).to.equal('(#100) Tried accessing nonexisting field (colour) on node type (CustomAudience)');
    });
  });

  describe('enum parameters', () => {
    it('refuses values outside the SDK enum with Graph\'s "must be one of" and accepts the rest', async () => {
      const upper = await get(`/act_${acct}/insights`, { ...day, breakdowns: JSON.stringify(['PUBLISHER_PLATFORM']) });
      expect(upper.status).to.equal(400);
      expect(upper.json.error.message).to.match(/^\(#100\) breakdowns\[0\] must be one of the following values: ad_extension_domain, .*\bpublisher_platform\b/);
      const preset = await get(`/act_${acct}/insights`, { date_preset: 'last_30_days' });
      expect(preset.json.error.message).to.match(/^\(#100\) date_preset must be one of the following values: /);
      const status = await get(`/act_${acct}/campaigns`, { effective_status: JSON.stringify(['ACTIVE', 'RUNNING']) });
      expect(status.json.error.message).to.match(/^\(#100\) effective_status\[1\] must be one of the following values: ACTIVE, ARCHIVED, DELETED/);
      const ok = await get(`/act_${acct}/campaigns`, { effective_status: JSON.stringify(['ACTIVE', 'PAUSED']), fields: 'id' });
      expect(ok.status, ok.text).to.equal(200);
    });

    it('accepts a breakdown Meta has but the generator does not shape, as one "unknown" bucket that adds up', async () => {
      const rows = (await get(`/act_${acct}/insights`, { ...day, fields: 'impressions', breakdowns: 'region' })).json.data as Array<Record<string, string>>;
      const total = (await get(`/act_${acct}/insights`, { ...day, fields: 'impressions' })).json.data as Array<Record<string, string>>;
      expect(rows.map((r) => r['region'])).to.deep.equal(['unknown']);
      expect(rows[0]!['impressions']).to.equal(total[0]!['impressions']);
    });
  });

  describe('API versions', () => {
    it('has AdReportRun error_subcode/error_message/error_user_* from v25.0 only, and leaves them out of v24 default answers', async () => {
      const run = await graphPost(sb.baseUrl, `/act_${acct}/insights`, agency, { ...day, fields: 'impressions' });
      const id = run.json.report_run_id as string;
      await sleep(5);
      const v25 = await get(`/${id}`, { fields: 'async_status,error_code,error_subcode,error_message' });
      expect(v25.status, v25.text).to.equal(200);
      const v24 = await get(`/${id}`, { fields: 'async_status,error_code,error_subcode' }, 'v24.0');
      expect(v24.status).to.equal(400);
      expect(v24.json.error.message).to.equal('(#100) Tried accessing nonexisting field (error_subcode) on node type (AdReportRun)');
      const ok24 = await get(`/${id}`, { fields: 'id,async_status,async_percent_completion,error_code' }, 'v24.0');
      expect(ok24.status, ok24.text).to.equal(200);
      sb.faults.add({ kind: 'job_failed' });
      const failed = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, agency, { ...day, fields: 'impressions' })).json.report_run_id as string;
      sb.faults.clear();
      await sleep(5);
      const bare24 = await get(`/${failed}`, {}, 'v24.0');
      expect(bare24.json.async_status).to.equal('Job Failed');
      expect(bare24.json).to.have.property('error_code');
      expect(bare24.json).to.not.have.any.keys('error_subcode', 'error_message', 'error_user_title', 'error_user_msg');
      const bare25 = await get(`/${failed}`);
      expect(bare25.json).to.include.keys('error_subcode', 'error_message', 'error_user_title', 'error_user_msg');
    });
  });
});
