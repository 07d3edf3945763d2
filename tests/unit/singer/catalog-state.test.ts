import { expect } from 'chai';
import { catalogEntry, isStreamSelected, selectedFields, parseCatalog, projectSchema } from '../../../connector/singer/catalog.js';
import { parseState, getBookmark, setBookmark, clearBookmark, emptyState } from '../../../connector/singer/state.js';
import { ConfigError } from '../../../connector/core/errors.js';

const schema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, updated_time: { type: 'string' }, spend_cap: { type: 'string' } } };

describe('Singer catalog', () => {
  const entry = catalogEntry({ stream: 'campaigns', schema, keyProperties: ['id'], replicationKey: 'updated_time', replicationMethod: 'INCREMENTAL' });

  it('builds breadcrumb metadata with keys and replication key marked automatic', () => {
    expect(entry.metadata[0]!.metadata).to.deep.include({ 'table-key-properties': ['id'], 'valid-replication-keys': ['updated_time'], selected: true });
    const idMeta = entry.metadata.find((m) => m.breadcrumb[1] === 'id')!.metadata;
    expect(idMeta['inclusion']).to.equal('automatic');
  });

  it('derives the selected fields from metadata, always keeping automatic ones', () => {
    const e = structuredClone(entry);
    for (const m of e.metadata) if (m.breadcrumb[1] === 'name' || m.breadcrumb[1] === 'id') m.metadata['selected'] = false;
    expect(selectedFields(e)).to.deep.equal(['id', 'updated_time', 'spend_cap']);
    expect(projectSchema(schema, selectedFields(e))['properties']).to.have.keys('id', 'updated_time', 'spend_cap');
  });

  it('reads stream selection from root metadata', () => {
    const e = structuredClone(entry);
    e.metadata[0]!.metadata['selected'] = false;
    expect(isStreamSelected(e)).to.equal(false);
    expect(isStreamSelected(entry)).to.equal(true);
  });

  it('rejects an unknown stream with the list of known ones', () => {
    expect(() => parseCatalog({ streams: [{ ...entry, tap_stream_id: 'adz' }] }, ['campaigns', 'ads'])).to.throw(ConfigError, /unknown stream "adz"/);
    expect(() => parseCatalog({ nope: 1 }, ['ads'])).to.throw(ConfigError, /"streams" list/);
  });
});

describe('Singer state', () => {
  it('keeps bookmarks per stream and per account without mutating the previous state', () => {
    const s0 = emptyState();
    const s1 = setBookmark(s0, 'campaigns', '111', { updated_time: '2026-01-01T00:00:00Z' });
    const s2 = setBookmark(s1, 'campaigns', '222', { updated_time: '2026-02-01T00:00:00Z' });
    expect(getBookmark(s0, 'campaigns', '111')).to.equal(undefined);
    expect(getBookmark(s2, 'campaigns', '111')).to.deep.equal({ updated_time: '2026-01-01T00:00:00Z' });
    expect(getBookmark(clearBookmark(s2, 'campaigns', '111'), 'campaigns', '111')).to.equal(undefined);
    expect(getBookmark(s2, 'campaigns', '222')).to.deep.equal({ updated_time: '2026-02-01T00:00:00Z' });
  });

  it('accepts a bare value, a STATE message, and rejects malformed bookmarks', () => {
    expect(parseState({ type: 'STATE', value: { bookmarks: { ads: { '1': { x: 1 } } } } }).bookmarks).to.deep.equal({ ads: { '1': { x: 1 } } });
    expect(parseState(undefined)).to.deep.equal({ bookmarks: {} });
    expect(() => parseState({ bookmarks: { ads: 3 } })).to.throw(ConfigError, /state.bookmarks.ads/);
    expect(() => parseState([1])).to.throw(ConfigError);
  });
});
