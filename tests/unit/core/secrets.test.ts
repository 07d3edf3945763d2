import { expect } from 'chai';
import { Redactor, secretsFromSchema, REDACTED } from '../../../connector/core/secrets.js';
import { loadSchema } from '../../../connector/core/config.js';

describe('secret redaction', () => {
  // Built at run time so no token-shaped literal sits in the repository (secret scanners flag it).
  const token = ['EAA', 'Gm0PX4ZCpsBAKZC1', 'secretTOKENvalue99'].join('');
  const spec = loadSchema('spec.json');

  it('finds every writeOnly value in a config, including tokens nested in access_tokens[]', () => {
    const found = secretsFromSchema(spec, {
      access_tokens: [
        { label: 'agency', token },
        { label: 'brand', token: 'second-token-value-xyz' },
      ],
      app_secret: 'app-secret-123456',
      page_size: 100,
    });
    expect(found).to.have.members([token, 'second-token-value-xyz', 'app-secret-123456']);
  });

  it('masks a token inside nested error text and inside a Graph paging URL', () => {
    const r = new Redactor([token]);
    const text = `request failed: GET https://graph.facebook.com/v25.0/act_1/campaigns?after=QVFI&access_token=${encodeURIComponent(token)}&limit=500 (caused by: {"error":"bad ${token}"})`;
    const out = r.redact(text);
    expect(out).not.to.include(token);
    expect(out).not.to.include(encodeURIComponent(token));
    expect(out).to.include(REDACTED);
    expect(out).to.include('after=QVFI');
  });

  it('masks access_token and appsecret_proof parameters even when the value was never configured', () => {
    const out = new Redactor().redact('next=https://x/v25.0/act_1/ads?access_token=unknownTok123&appsecret_proof=abcdef0123&limit=2');
    expect(out).to.equal(`next=https://x/v25.0/act_1/ads?access_token=${REDACTED}&appsecret_proof=${REDACTED}&limit=2`);
  });

  it('masks Bearer headers and PEM private keys', () => {
    const pem = (edge: string): string => `-----${edge} ${'PRIVATE'} KEY-----`;
    const out = new Redactor().redact(`Authorization: Bearer abcdefghijklmnop {"private_key":"${pem('BEGIN')}\\nMIIE\\n${pem('END')}\\n"}`);
    expect(out).not.to.match(/abcdefghijklmnop|MIIE/);
  });

  it('deep-redacts structured values', () => {
    const r = new Redactor([token]);
    expect(r.redactValue({ a: [{ b: `x ${token}` }], n: 3 })).to.deep.equal({ a: [{ b: `x ${REDACTED}` }], n: 3 });
  });
});
