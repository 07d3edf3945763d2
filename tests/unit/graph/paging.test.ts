import { expect } from 'chai';
import { encodeParam, encodeParams, graphUrl, nextLink, nextPageUrl, stripAuth } from '../../../connector/graph/paging.js';

describe('Graph parameter encoding and paging helpers', () => {
  it('encodes lists, objects and booleans as compact JSON and keeps strings and numbers as they are', () => {
    expect(encodeParam('account_id,name')).to.equal('account_id,name');
    expect(encodeParam(25)).to.equal('25');
    expect(encodeParam(false)).to.equal('false');
    expect(encodeParam(['7d_click', '1d_view'])).to.equal('["7d_click","1d_view"]');
    expect(encodeParam({ since: '2026-01-01', until: '2026-01-31' })).to.equal('{"since":"2026-01-01","until":"2026-01-31"}');
    expect(encodeParams({ a: undefined, b: null, c: 'x' })).to.deep.equal({ c: 'x' });
  });

  it('builds versioned URLs without doubled slashes', () => {
    expect(graphUrl('http://127.0.0.1:9/', 'v25.0', '/act_1/ads')).to.equal('http://127.0.0.1:9/v25.0/act_1/ads');
    expect(graphUrl('https://graph.facebook.com', 'v25.0', 'me/adaccounts')).to.equal('https://graph.facebook.com/v25.0/me/adaccounts');
  });

  it('rebases a next URL onto the configured host and drops the credentials embedded in it', () => {
    const u = nextPageUrl('https://graph.facebook.com/v25.0/act_1/ads?access_token=sbx_x_123456&appsecret_proof=abc&limit=100&after=QVFI', 'http://127.0.0.1:4567');
    expect(u.origin).to.equal('http://127.0.0.1:4567');
    expect(u.pathname).to.equal('/v25.0/act_1/ads');
    expect(u.searchParams.has('access_token')).to.equal(false);
    expect(u.searchParams.has('appsecret_proof')).to.equal(false);
    expect(u.searchParams.get('after')).to.equal('QVFI');
  });

  it("keeps the path prefix of a proxied base URL when the next URL names Meta's own host", () => {
    expect(nextPageUrl('https://graph.facebook.com/v25.0/act_1/ads?after=Q', 'https://proxy.internal/graph/').pathname).to.equal('/graph/v25.0/act_1/ads');
    expect(nextPageUrl('https://proxy.internal/graph/v25.0/act_1/ads?after=Q', 'https://proxy.internal/graph').pathname).to.equal('/graph/v25.0/act_1/ads');
  });

  it('strips credentials from a URL before it is shown', () => {
    expect(stripAuth('act_1/ads?access_token=sbx_x_123456&after=2')).to.equal('act_1/ads?after=2');
    expect(stripAuth('debug_token?input_token=sbx_y_99999999')).to.equal('debug_token');
    expect(stripAuth('act_1/ads')).to.equal('act_1/ads');
  });

  it('reads only a non-empty paging.next as more data', () => {
    expect(nextLink({ data: [], paging: { cursors: { after: 'x' } } })).to.equal(undefined);
    expect(nextLink({ data: [], paging: { next: '' } })).to.equal(undefined);
    expect(nextLink({ data: [], paging: { next: 'http://h/v25.0/x?after=1' } })).to.equal('http://h/v25.0/x?after=1');
  });
});
