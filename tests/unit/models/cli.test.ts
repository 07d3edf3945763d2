// `fb-ads-elt models` flag parsing: --vars accepts JSON or YAML mappings, nothing else.
import { expect } from 'chai';
import { parseVars } from '../../../connector/models/cli.js';
import { ConfigError } from '../../../connector/core/errors.js';

describe('models/cli: --vars', function () {
  it('accepts a JSON or YAML mapping and an empty value', function () {
    expect(parseVars('{"reporting_currency": "EUR", "ad_platforms": ["a"]}')).to.deep.equal({ reporting_currency: 'EUR', ad_platforms: ['a'] });
    expect(parseVars('reporting_currency: GBP')).to.deep.equal({ reporting_currency: 'GBP' });
    expect(parseVars(undefined)).to.deep.equal({});
  });

  it('refuses a list, a scalar or broken JSON with an example in the hint', function () {
    for (const bad of ['[1, 2]', '42', '{"a": ']) {
      expect(() => parseVars(bad), bad).to.throw(ConfigError).with.property('hint').that.includes('--vars');
    }
  });
});
