import { expect } from 'chai';
import { tapSettingsFor } from '../../../connector/tap/config.js';
import { tapSettingsSourceOf } from '../../../connector/core/surface.js';

describe('tap settings named in hints, per reader (tapSettingsFor)', () => {
  const hint = 'Set config.access_token(s), drop the account from config.account_ids or fix config.insights_reports[].fields; config.nonsense and config.json stay.';

  it('leaves a hint as written for a config file', () => {
    expect(tapSettingsFor(hint, 'file')).to.equal(hint);
  });

  it('names the TAP_FACEBOOK_ADS_ variable of each setting for --config ENV, and the path inside it for a nested one', () => {
    expect(tapSettingsFor(hint, 'env')).to.equal('Set TAP_FACEBOOK_ADS_ACCESS_TOKEN(S), drop the account from TAP_FACEBOOK_ADS_ACCOUNT_IDS or fix insights_reports[].fields in TAP_FACEBOOK_ADS_INSIGHTS_REPORTS; config.nonsense and config.json stay.');
  });

  it('names the setting and the `meltano config set` command of the extractor Meltano runs the tap as', () => {
    const set = (name: string): string => `\`meltano config set tap-facebook-ads--eu ${name} …\``;
    expect(tapSettingsFor(hint, { meltano: 'tap-facebook-ads--eu' })).to.equal(
      `Set the access_token or access_tokens setting (${set('access_token')} or ${set('access_tokens')}), drop the account from the account_ids setting (${set('account_ids')}) or fix insights_reports[].fields in the insights_reports setting (${set('insights_reports')}); config.nonsense and config.json stay.`,
    );
  });

  it('takes Meltano from MELTANO_EXTRACTOR_NAME, not from MELTANO_PROJECT_ROOT alone (set for every plugin Meltano invokes)', () => {
    expect(tapSettingsSourceOf({ MELTANO_PROJECT_ROOT: '/p', MELTANO_EXTRACTOR_NAME: 'tap-facebook-ads' })).to.deep.equal({ meltano: 'tap-facebook-ads' });
    expect(tapSettingsSourceOf({ MELTANO_PROJECT_ROOT: '/p' })).to.equal('file');
    expect(tapSettingsSourceOf({ MELTANO_EXTRACTOR_NAME: ' ' })).to.equal('file');
    expect(tapSettingsSourceOf({})).to.equal('file');
  });

  it("names the key in the tap config serve runs with for serve's caller", () => {
    const where = "in the tap config (the serve config's tap_config)";
    expect(tapSettingsFor(hint, 'serve')).to.equal(`Set access_token(s) ${where}, drop the account from account_ids ${where} or fix insights_reports[].fields ${where}; config.nonsense and config.json stay.`);
  });
});
