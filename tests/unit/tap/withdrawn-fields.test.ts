// Which requested fields a Graph (#100) answer names as withdrawn, on the message texts Meta sends
// (as captured in public issues), and what the run-wide memory does with them.
import { expect } from 'chai';
import { ConfigError, ConnectorError, PermissionError } from '../../../connector/core/errors.js';
import type { Logger } from '../../../connector/core/log.js';
import { WithdrawnFields, withdrawnFieldsIn } from '../../../connector/tap/withdrawn-fields.js';

const warnings: Array<{ msg: string; fields: Record<string, unknown> }> = [];
const log = { warn: (msg: string, fields: Record<string, unknown> = {}) => warnings.push({ msg, fields }) } as unknown as Logger;
const graph100 = (metaMessage: string, extra: Record<string, unknown> = {}): ConnectorError => new ConfigError(`Graph API invalid parameter (code 100) for ad account 1 on act_1/adsets [code 100]: ${metaMessage}`, { context: { graph_code: 100, ...extra } });

describe('withdrawn fields: reading which requested field Meta stopped serving', () => {
  beforeEach(() => (warnings.length = 0));

  it('reads the field of "Tried accessing nonexisting field (x) on node type (T)" (facebook-php-business-sdk#294, python#106)', () => {
    expect(withdrawnFieldsIn('(#100) Tried accessing nonexisting field (daily_imps) on node type (AdCampaign)', ['id', 'daily_imps', 'name'])).to.deep.equal(['daily_imps']);
    expect(withdrawnFieldsIn('(#100) Tried accessing nonexisting field (status) on node type (AdCampaignGroup)', ['id', 'status'])).to.deep.equal(['status']);
  });

  it('reads every field of "a, b are not valid for fields param" (airbytehq/airbyte#35334) and of the singular form', () => {
    const msg = '(#100) age_targeting, gender_targeting, labels, location, estimated_ad_recall_rate_lower_bound are not valid for fields param after V19.0.';
    expect(withdrawnFieldsIn(msg, ['spend', 'labels', 'age_targeting', 'location'])).to.deep.equal(['age_targeting', 'labels', 'location']);
    expect(withdrawnFieldsIn('(#100) unique_clicks is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values', ['unique_clicks'])).to.deep.equal(['unique_clicks']);
  });

  it('names nothing for a field the tap did not ask for, or another (#100) answer', () => {
    expect(withdrawnFieldsIn('(#100) Tried accessing nonexisting field (campaigns) on node type (User)', ['id', 'name'])).to.deep.equal([]);
    expect(withdrawnFieldsIn('(#100) Missing permissions', ['id'])).to.deep.equal([]);
  });

  it('drops a named field for the rest of the run and warns once per field, whichever account met it', () => {
    const w = new WithdrawnFields(log);
    const err = graph100('(#100) Tried accessing nonexisting field (bid_strategy) on node type (AdCampaign)');
    expect(w.absorb(err, 'ad_sets', ['id', 'name', 'bid_strategy'], ['id', 'updated_time'])).to.equal(true);
    expect(w.absorb(err, 'ad_sets', ['id', 'name', 'bid_strategy'], ['id', 'updated_time'])).to.equal(true);
    expect(w.keep('ad_sets', ['id', 'name', 'bid_strategy'])).to.deep.equal(['id', 'name']);
    expect(w.keep('campaigns', ['id', 'bid_strategy']), 'other streams keep it').to.deep.equal(['id', 'bid_strategy']);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.msg).to.include('bid_strategy').and.to.include('ad_sets');
    expect(w.dropped).to.deep.equal([{ stream: 'ad_sets', field: 'bid_strategy', message: err.message }]);
  });

  it('refuses to drop a key or the replication key: a ConfigError (exit 2) naming it', () => {
    const w = new WithdrawnFields(log);
    const err = graph100('(#100) Tried accessing nonexisting field (updated_time) on node type (AdCampaign)');
    expect(() => w.absorb(err, 'ad_sets', ['id', 'updated_time'], ['id', 'updated_time']))
      .to.throw(ConfigError, /no longer serves updated_time on the ad_sets stream.*replication key/)
      .with.property('exitCode', 2);
    expect(w.dropped).to.deep.equal([]);
  });

  it('leaves other failures alone: a subcode, another kind of error, or an error that is no ConnectorError', () => {
    const w = new WithdrawnFields(log);
    expect(w.absorb(graph100('(#100) Tried accessing nonexisting field (name) on node type (AdCampaign)', { graph_subcode: 33 }), 'ad_sets', ['name'], ['id'])).to.equal(false);
    expect(w.absorb(new PermissionError('(#100) Tried accessing nonexisting field (name) on node type (AdCampaign)', { context: { graph_code: 100 } }), 'ad_sets', ['name'], ['id'])).to.equal(false);
    expect(w.absorb(new Error('(#100) Tried accessing nonexisting field (name) on node type (AdCampaign)'), 'ad_sets', ['name'], ['id'])).to.equal(false);
    expect(warnings).to.have.length(0);
  });
});
