// How a hint names a re-read for each surface: the CLI's flag (with Meltano's beside it, for a tap or
// target run by hand or by Meltano) or serve's POST body (an HTTP caller has no flags).
import { expect } from 'chai';
import { fullRefreshHow, resyncHow, surfaceOf, SURFACE_ENV } from '../../../connector/core/surface.js';

describe('core/surface: a re-read as each surface spells it', () => {
  it('names the CLI flag and Meltano on the CLI, the POST body for serve', () => {
    expect(resyncHow(['insights_ad', 'ads'], 'cli')).to.equal('`fb-ads-elt sync … --full-refresh insights_ad,ads`, or `meltano run --full-refresh …`');
    expect(resyncHow(['insights_ad'], 'serve')).to.equal('POST /api/meta-ads/sync with {"full_refresh": ["insights_ad"]}');
    expect(fullRefreshHow('all', 'serve')).to.equal('POST /api/meta-ads/sync with {"full_refresh": true}');
  });

  it('reads the surface a child process serves from its environment (the CLI when unset)', () => {
    expect(surfaceOf({ [SURFACE_ENV]: 'serve' })).to.equal('serve');
    expect(surfaceOf({})).to.equal('cli');
    expect(surfaceOf({ [SURFACE_ENV]: 'other' })).to.equal('cli');
  });
});
