import { expect } from 'chai';
import { catalogEntry, isStreamSelected, selectedFields, parseCatalog, projectSchema, type CatalogEntry } from '../../../connector/singer/catalog.js';
import { parseState, getBookmark, setBookmark, clearBookmark, emptyState } from '../../../connector/singer/state.js';
import { ConfigError } from '../../../connector/core/errors.js';
import { bookmarkKeys } from '../../../connector/tap/discover.js';

const schema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, updated_time: { type: 'string' }, spend_cap: { type: 'string' } } };

describe('Singer catalog', () => {
  const entry = catalogEntry({ stream: 'campaigns', schema, keyProperties: ['id'], replicationKey: 'updated_time', replicationMethod: 'INCREMENTAL' });

  it('builds breadcrumb metadata with keys and replication key marked automatic', () => {
    expect(entry.metadata[0]!.metadata).to.deep.include({ 'table-key-properties': ['id'], 'valid-replication-keys': ['updated_time'], 'selected-by-default': true });
    const idMeta = entry.metadata.find((m) => m.breadcrumb[1] === 'id')!.metadata;
    expect(idMeta['inclusion']).to.equal('automatic');
  });

  it('writes selected-by-default at the root, never selected: selection is the user’s to write (Singer metadata spec, the Meltano SDK)', () => {
    expect(entry.metadata[0]!.metadata).to.not.have.property('selected');
    expect(entry.metadata.filter((m) => m.breadcrumb.length > 0 && 'selected' in m.metadata)).to.deep.equal([]);
  });

  it('selects a stream as the Meltano SDK does: selected, then legacy schema.selected, then selected-by-default, else not; unsupported never, automatic always', () => {
    const withRoot = (root: Record<string, unknown>, schemaSelected?: boolean): CatalogEntry => {
      const e = structuredClone(entry);
      e.metadata[0]!.metadata = { 'table-key-properties': ['id'], ...root };
      if (schemaSelected !== undefined) e.schema = { ...e.schema, selected: schemaSelected };
      return e;
    };
    expect(isStreamSelected(withRoot({ 'selected-by-default': true }))).to.equal(true);
    expect(isStreamSelected(withRoot({ 'selected-by-default': true, selected: false }))).to.equal(false);
    expect(isStreamSelected(withRoot({ 'selected-by-default': false, selected: true }))).to.equal(true);
    expect(isStreamSelected(withRoot({}))).to.equal(false);
    expect(isStreamSelected(withRoot({}, true))).to.equal(true);
    expect(isStreamSelected(withRoot({ 'selected-by-default': true }, false))).to.equal(false);
    expect(isStreamSelected(withRoot({ selected: false }, true))).to.equal(false);
    expect(isStreamSelected(withRoot({ inclusion: 'unsupported', selected: true }))).to.equal(false);
    expect(isStreamSelected(withRoot({ inclusion: 'automatic', selected: false }))).to.equal(true);
  });

  it('marks the columns the tap stamps on every record (_sdc_extracted_at) automatic, like the keys', () => {
    const e = catalogEntry({ stream: 'x', schema: { type: 'object', properties: { id: {}, name: {}, _sdc_extracted_at: {} } }, keyProperties: ['id'], replicationMethod: 'FULL_TABLE', alwaysEmitted: ['_sdc_extracted_at'] });
    const inclusion = Object.fromEntries(e.metadata.filter((m) => m.breadcrumb.length === 2).map((m) => [m.breadcrumb[1], m.metadata['inclusion']]));
    expect(inclusion).to.deep.equal({ id: 'automatic', name: 'available', _sdc_extracted_at: 'automatic' });
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

  it("tells another tap's state from ours: unknown streams are named with the list of ours", () => {
    const foreign = { bookmarks: { ads_insights: { date_start: '2025-01-01T00:00:00Z' } } };
    expect(() => parseState(foreign, { campaigns: 'updated_time', insights_ad: 'date_start' })).to.throw(ConfigError, /unknown stream "ads_insights".*another tap's state.*campaigns, insights_ad/);
    expect(() => parseState(foreign)).to.throw(ConfigError, /state\.bookmarks\.ads_insights\.date_start is a bookmark of the whole stream.*another tap's state/);
    // A stream of ours keyed by account, bookmark missing its object: ours, but broken.
    expect(() => parseState({ bookmarks: { campaigns: { '1025728468230903': '2026-01-01' } } }, { campaigns: 'updated_time' })).to.throw(ConfigError, /must be an object/);
  });

  it("tells another tap's state by its outer shape too: Airbyte's streams at the top level, or its list of STREAM states", () => {
    const foreign = (raw: unknown): ConfigError => {
      try {
        parseState(raw, { campaigns: 'updated_time' });
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as ConfigError).context['foreign_state']).to.equal(true);
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    expect(foreign({ ads_insights: { date_start: '2025-01-01' } }).message).to.match(/state has no "bookmarks".*"ads_insights" holds a bookmark \(date_start\).*another tap's state/);
    expect(foreign({ ads_insights: { '123': { date_start: '2025-01-01' } } }).message).to.include('"ads_insights" holds a bookmark (date_start)');
    expect(foreign([{ type: 'STREAM', stream: { stream_descriptor: { name: 'ads_insights' }, stream_state: {} } }]).message).to.match(/list of Airbyte state messages.*another tap's state/);
    // Ours without bookmarks yet, and other top-level keys, still load.
    expect(parseState({}).bookmarks).to.deep.equal({});
    expect(parseState({ currently_syncing: null, seq: 3 }).bookmarks).to.deep.equal({});
  });

  it('accepts what `meltano state get` prints (singer_state) as the state inside it', () => {
    const inner = { bookmarks: { campaigns: { '1': { updated_time: '2026-11-20T10:00:00+0000' } } } };
    expect(parseState({ singer_state: inner }).bookmarks).to.deep.equal(inner.bookmarks);
  });

  it('refuses a bookmark value the tap would send to Meta when it is not a date-time or a day, naming its path', () => {
    const bad =
      (bookmark: unknown, stream = 'campaigns'): (() => unknown) =>
      () =>
        parseState({ bookmarks: { [stream]: { '1025728468230903': bookmark } } });
    expect(bad({ updated_time: 'yesterday' })).to.throw(ConfigError, /state\.bookmarks\.campaigns\.1025728468230903\.updated_time must be an RFC 3339 date-time, got "yesterday"/);
    expect(bad({ updated_time: '2026-11-20T10:00:00' })).to.throw(ConfigError, /updated_time/);
    expect(bad({ updated_time: 1732096800 })).to.throw(ConfigError, /updated_time/);
    expect(bad({ ads_updated_time: '2026-02-30T00:00:00Z' }, 'ad_creatives')).to.throw(ConfigError, /ads_updated_time/);
    expect(bad({ date_start: '2026-02-30' }, 'insights_ad')).to.throw(ConfigError, /date_start must be a calendar day/);
    // first_day becomes a time_range of a backfill when start_date moves back before it.
    expect(bad({ date_start: '2026-11-19', first_day: '2026-11-01T00:00:00Z' }, 'insights_ad')).to.throw(ConfigError, /insights_ad\.1025728468230903\.first_day must be a calendar day/);
    expect(bad({ date_start: '2026-11-19', first_day: '2026-11-01' }, 'insights_ad')).not.to.throw();
    expect(bad('2026-01-01')).to.throw(ConfigError, /must be an object/);
    // Ids the tap asks Meta for again by id (refused_ids) must be ids.
    expect(bad({ updated_time: '2026-11-20T10:00:00Z', refused_ids: '120210000000000001' }, 'ad_sets')).to.throw(ConfigError, /ad_sets\.1025728468230903\.refused_ids must be a list of object ids/);
    expect(bad({ updated_time: '2026-11-20T10:00:00Z', refused_ids: ['act_1'] }, 'ad_sets')).to.throw(ConfigError, /refused_ids/);
    // What the tap writes, and what Graph sends, are accepted.
    for (const ok of [
      { updated_time: '2026-11-20T10:00:00Z', refused_ids: ['120210000000000001'] },
      { updated_time: '2026-11-20T10:00:00+0000' },
      { updated_time: '2026-11-20T10:00:00Z' },
      { updated_time: '2026-11-20T10:00:00.123+02:00' },
      { date_start: '2026-02-28', attribution_windows: ['7d_click'] },
    ]) {
      expect(bad(ok)).not.to.throw();
    }
  });

  it("refuses an entity bookmark after the run's clock by more than a day, naming its path: every change before it would be skipped", () => {
    const now = new Date('2026-11-20T12:00:00Z');
    const state = (updated: string, stream = 'campaigns', key = 'updated_time'): unknown => ({ bookmarks: { [stream]: { '1025728468230903': { [key]: updated } } } });
    expect(() => parseState(state('2030-01-01T00:00:00Z'), {}, undefined, now)).to.throw(ConfigError, /^state\.bookmarks\.campaigns\.1025728468230903\.updated_time 2030-01-01T00:00:00Z is after this run's clock \(2026-11-20T12:00:00\.000Z\) by more than a day/);
    expect(() => parseState(state('2026-11-22T00:00:00+0000', 'ad_creatives', 'ads_updated_time'), {}, undefined, now)).to.throw(ConfigError, /ads_updated_time/);
    // Meta's clock may run ahead of this machine's: hours are fine, and without a clock nothing is compared.
    expect(() => parseState(state('2026-11-21T06:00:00Z'), {}, undefined, now)).not.to.throw();
    expect(() => parseState(state('2030-01-01T00:00:00Z'))).not.to.throw();
  });

  describe("checked against this tap's streams (bookmarkKeys)", () => {
    const account = '1025728468230903';
    const parse = (bookmarks: Record<string, unknown>): { warnings: Array<[string, Record<string, unknown>]>; state: unknown } => {
      const warnings: Array<[string, Record<string, unknown>]> = [];
      const state = parseState({ bookmarks }, bookmarkKeys(), (m, f) => warnings.push([m, f]));
      return { warnings, state };
    };
    const refusal = (bookmarks: Record<string, unknown>): ConfigError => {
      try {
        parse(bookmarks);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };

    it('warns about a stream key it does not know (a misspelled one), naming it and the nearest streams, and keeps its bookmarks', () => {
      const { warnings, state } = parse({ insights_adz: { [account]: { date_start: '2026-11-01' } }, campaigns: { [account]: { updated_time: '2026-11-20T10:00:00Z' } } });
      expect(warnings).to.have.length(1);
      const [message, fields] = warnings[0]!;
      expect(message).to.include('"insights_adz"').and.include('does not know');
      expect(fields['nearest_streams']).to.be.an('array').that.includes('insights_ad');
      expect((fields['nearest_streams'] as string[])[0]).to.equal('insights_ad');
      expect(String(fields['hint'])).to.include('start_date');
      // Not refused, and written back as it came (Meltano may share the state with other plugins).
      expect((state as { bookmarks: Record<string, unknown> }).bookmarks['insights_adz']).to.deep.equal({ [account]: { date_start: '2026-11-01' } });
      expect(parse({ campaigns: { [account]: { updated_time: '2026-11-20T10:00:00Z' } } }).warnings).to.deep.equal([]);
    });

    it('refuses (exit 2) a bookmark of a known stream without the value its next read starts from, naming stream, account, key and what it must be', () => {
      const e = refusal({ insights_ad: { [account]: { last_complete_day: '2026-11-01' } } });
      expect(e.exitCode).to.equal(2);
      expect(e.message).to.equal(`state.bookmarks.insights_ad.${account} has no "date_start": this stream's bookmarks need a calendar day (YYYY-MM-DD) (the point its next read starts from)`);
      expect(e.hint).to.include(`delete state.bookmarks.insights_ad.${account}`).and.include('start_date');
      expect(refusal({ campaigns: { [account]: { boundary: {} } } }).message)
        .to.include('has no "updated_time"')
        .and.include('RFC 3339 date-time');
      expect(refusal({ ad_creatives: { [account]: {} } }).message).to.include('has no "ads_updated_time"');
      // The value in the wrong shape is refused too.
      expect(refusal({ insights_ad: { [account]: { date_start: '2026-11-01T00:00:00Z' } } }).message).to.include('date_start must be a calendar day');
    });
  });
});
