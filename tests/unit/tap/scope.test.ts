// state.scope: what earlier runs of a state read, as the tap reads and writes it back.
import { expect } from 'chai';
import { ConfigError } from '../../../connector/core/errors.js';
import { scopeOf, withScope } from '../../../connector/tap/scope.js';

describe('state.scope (what earlier runs of a state read)', () => {
  it('reads the accounts and businesses a state records, and writes them back sorted beside the bookmarks', () => {
    const state = { bookmarks: { campaigns: { '7': { updated_time: '2026-01-01T00:00:00Z' } } }, scope: { accounts: ['9', '3'], businesses: ['800'] } };
    const scope = scopeOf(state);
    expect([...scope.accounts]).to.deep.equal(['9', '3']);
    expect([...scope.businesses]).to.deep.equal(['800']);
    expect(withScope(state, { accounts: new Set(['9', '3']), businesses: new Set(['900', '800']) })).to.deep.equal({ ...state, scope: { accounts: ['3', '9'], businesses: ['800', '900'] } });
  });

  it('knows only the accounts with bookmarks (act_ or not) for a state written before it kept a scope, and no business', () => {
    const scope = scopeOf({ bookmarks: { campaigns: { act_7: { updated_time: '2026-01-01T00:00:00Z' } }, insights_account: { '8': { date_start: '2026-01-01' } } } });
    expect([...scope.accounts].sort()).to.deep.equal(['7', '8']);
    expect(scope.businesses.size).to.equal(0);
  });

  it('refuses a scope the tap did not write (exit 2, naming the key), rather than reading it as empty and marking rows deleted', () => {
    expect(() => scopeOf({ bookmarks: {}, scope: { accounts: ['act_1'] } }))
      .to.throw(ConfigError, 'state.scope.accounts must be a list of numeric id strings')
      .with.property('hint')
      .that.includes('Restore it from a backup');
    expect(() => scopeOf({ bookmarks: {}, scope: ['1'] })).to.throw(ConfigError, 'state.scope must be an object');
  });
});
