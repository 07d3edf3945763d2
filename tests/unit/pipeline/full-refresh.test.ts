import { expect } from 'chai';
import { ConfigError } from '../../../connector/core/errors.js';
import { clearBookmarks, parseFullRefresh } from '../../../connector/pipeline/full-refresh.js';

describe('sync --full-refresh (bookmarks to clear)', () => {
  it('reads the flag: alone every stream, a value a comma list (trimmed, once each), an empty list refused', () => {
    expect(parseFullRefresh(undefined)).to.equal(undefined);
    expect(parseFullRefresh(true)).to.equal('all');
    expect(parseFullRefresh(' ads, insights_ad ,ads')).to.deep.equal(['ads', 'insights_ad']);
    expect(() => parseFullRefresh(' , ')).to.throw(ConfigError, /--full-refresh " , " names no stream/);
  });

  it('keeps every other part of the state (bookmarks of other streams, top-level keys) as it was', () => {
    const state = { bookmarks: { ads: { '1': { updated_time: 'x' } }, campaigns: { '1': { updated_time: 'y' } } }, currently_syncing: null };
    const { state: next, cleared } = clearBookmarks(state, ['ads'], { ads: 'updated_time', campaigns: 'updated_time' });
    expect(next).to.deep.equal({ bookmarks: { campaigns: { '1': { updated_time: 'y' } } }, currently_syncing: null });
    expect(cleared).to.deep.equal(['ads']);
    expect(state.bookmarks).to.have.property('ads');
  });

  it('names only streams that had a bookmark to clear (of the account, when given)', () => {
    const state = { bookmarks: { ads: { act_1: { updated_time: 'x' } } } };
    const known = { ads: 'updated_time', campaigns: 'updated_time' };
    expect(clearBookmarks(state, 'all', known, '2').cleared).to.deep.equal([]);
    expect(clearBookmarks(state, 'all', known, '1')).to.deep.equal({ state: { bookmarks: {} }, cleared: ['ads'] });
    expect(clearBookmarks(undefined, 'all', known)).to.deep.equal({ state: undefined, cleared: [] });
  });
});
