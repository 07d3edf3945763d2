import { expect } from 'chai';
import { tapSettingsFor } from '../../../connector/tap/config.js';

describe('tap settings named in hints, per reader (tapSettingsFor)', () => {
  const hint = 'Set config.access_token(s), drop the account from config.account_ids or fix config.insights_reports[].fields; config.nonsense and config.json stay.';

  it('leaves a hint as written for a config file', () => {
    expect(tapSettingsFor(hint, 'file')).to.equal(hint);
  });

  it('names the TAP_FACEBOOK_ADS_ variable of each setting for --config ENV, and the path inside it for a nested one', () => {
    expect(tapSettingsFor(hint, 'env')).to.equal('Set TAP_FACEBOOK_ADS_ACCESS_TOKEN(S), drop the account from TAP_FACEBOOK_ADS_ACCOUNT_IDS or fix insights_reports[].fields in TAP_FACEBOOK_ADS_INSIGHTS_REPORTS; config.nonsense and config.json stay.');
  });

  it("names the key in the tap config serve runs with for serve's caller", () => {
    const where = "in the tap config (the serve config's tap_config)";
    expect(tapSettingsFor(hint, 'serve')).to.equal(`Set access_token(s) ${where}, drop the account from account_ids ${where} or fix insights_reports[].fields ${where}; config.nonsense and config.json stay.`);
  });
});
