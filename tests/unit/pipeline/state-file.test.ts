import { expect } from 'chai';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../connector/core/errors.js';
import { readStateFile, StatePersister, stateFromTargetLine, writeStateAtomic } from '../../../connector/pipeline/state-file.js';
import { parseJsonExact, stringifyExact } from '../../../connector/singer/exact-json.js';
import { parseState } from '../../../connector/singer/state.js';

/** A state whose numbers JSON.parse would round (2^53+1, 2^64-1, a 20-digit decimal). */
const BIG_STATE = '{"bookmarks":{"ads":{"1":{"updated_time":"2026-01-01T00:00:00Z","cursor":9007199254740993}}},"seq":18446744073709551615,"f":0.12345678901234567890123}';

describe('pipeline state file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'state-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('treats a missing or empty file as a first run and a broken one as a config error', () => {
    const f = path.join(dir, 'state.json');
    expect(readStateFile(f)).to.equal(undefined);
    writeFileSync(f, '');
    expect(readStateFile(f)).to.equal(undefined);
    writeFileSync(f, '{"bookmarks": ');
    expect(() => readStateFile(f)).to.throw(ConfigError, /not valid JSON/);
  });

  it('warns once, naming the file, when an empty state file makes the run a full backfill (a missing one is silent)', () => {
    const f = path.join(dir, 'state.json');
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const log = { warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push([msg, fields]) };
    expect(readStateFile(f, log)).to.equal(undefined);
    expect(warnings).to.deep.equal([]);
    writeFileSync(f, ' \n');
    expect(readStateFile(f, log)).to.equal(undefined);
    expect(warnings).to.have.length(1);
    expect(warnings[0]![0]).to.equal(`empty state file ${f}: this run backfills from start_date`);
    expect(warnings[0]![1]).to.deep.equal({ state_file: f });
  });

  it('names the state file and how to recover when its JSON is not a state (not the tap-only --state hint)', () => {
    const f = path.join(dir, 'state.json');
    for (const text of ['[]', '{"bookmarks": 5}', '{"bookmarks": {"ads": {"1": {"updated_time": "yesterday"}}}}']) {
      writeFileSync(f, text);
      let err: unknown;
      try {
        readStateFile(f);
      } catch (e) {
        err = e;
      }
      expect(err, text).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).message, text).to.match(new RegExp(`^state file ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: state`));
      expect((err as ConfigError).hint, text)
        .to.include('delete it')
        .and.not.include('--state ');
    }
  });

  it("refuses another tap's state (one bookmark a stream) naming the file, the unknown stream and ours, and says to start without it", () => {
    const f = path.join(dir, 'state.json');
    writeFileSync(f, '{"bookmarks":{"ads_insights":{"date_start":"2025-01-01T00:00:00Z"}}}');
    let err: unknown;
    try {
      readStateFile(f);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.exitCode).to.equal(2);
    expect(e.message).to.include(`state file ${f}:`).and.include('unknown stream "ads_insights"').and.include("another tap's state");
    // Our stream names, so the user sees what a state of ours holds.
    expect(e.message).to.include('campaigns').and.include('insights_ad');
    expect(e.hint).to.include('move it away').and.include('start_date');
    expect(e.context['state_file']).to.equal(f);
    // One of our stream names with singer-io tap-facebook's shape (no account level) is foreign too.
    writeFileSync(f, '{"bookmarks":{"ads":{"updated_time":"2025-01-01T00:00:00+0000"}}}');
    expect(() => readStateFile(f)).to.throw(ConfigError, /state\.bookmarks\.ads\.updated_time .*another tap's state/);
  });

  it('still loads an old state of ours: bookmarks of a report no longer configured, no attribution params, no paused_ids', () => {
    const f = path.join(dir, 'state.json');
    const old = { bookmarks: { campaigns: { '1025728468230903': { updated_time: '2026-01-01T00:00:00+0000' } }, insights_ad_country: { '1025728468230903': { date_start: '2026-01-01' } } } };
    writeFileSync(f, JSON.stringify(old));
    expect(readStateFile(f)?.bookmarks).to.deep.equal(old.bookmarks);
  });

  it('replaces the file atomically and leaves no temp file behind', () => {
    const f = path.join(dir, 'sub', 'state.json');
    writeStateAtomic(f, { bookmarks: { ads: { '1': { updated_time: '2026-01-01T00:00:00Z' } } } });
    writeStateAtomic(f, { bookmarks: { ads: { '1': { updated_time: '2026-01-02T00:00:00Z' } } } });
    expect(JSON.parse(readFileSync(f, 'utf8'))).to.deep.equal({ bookmarks: { ads: { '1': { updated_time: '2026-01-02T00:00:00Z' } } } });
    expect(readdirSync(path.dirname(f))).to.deep.equal(['state.json']);
    expect(readStateFile(f)?.bookmarks['ads']?.['1']).to.deep.equal({ updated_time: '2026-01-02T00:00:00Z' });
  });

  it('writes through a symlinked state file into the file it points to, keeping the link (a state kept on another volume)', () => {
    // Renaming onto the link replaced it with a plain file: the linked file kept the old bookmarks.
    mkdirSync(path.join(dir, 'data'));
    const real = path.join(dir, 'data', 'state.json');
    writeFileSync(real, '{"bookmarks":{}}\n');
    const link = path.join(dir, 'state.json');
    symlinkSync(path.join('data', 'state.json'), link);
    writeStateAtomic(link, { bookmarks: { ads: { '1': { updated_time: '2026-01-01T00:00:00Z' } } } });
    expect(lstatSync(link).isSymbolicLink(), 'still a link').to.equal(true);
    expect(readFileSync(real, 'utf8')).to.equal('{"bookmarks":{"ads":{"1":{"updated_time":"2026-01-01T00:00:00Z"}}}}\n');
    expect(readdirSync(path.join(dir, 'data'))).to.deep.equal(['state.json']);
    // A link whose file is not there yet (a first run) creates that file, not a plain file in its place.
    rmSync(real);
    writeStateAtomic(link, { bookmarks: {} });
    expect(lstatSync(link).isSymbolicLink()).to.equal(true);
    expect(readFileSync(real, 'utf8')).to.equal('{"bookmarks":{}}\n');
  });

  it("writes the state (and serve's status, the same writer) owner-only, even over a world-readable file and with umask 0", () => {
    const f = path.join(dir, 'state.json');
    writeFileSync(f, '{}', { mode: 0o644 });
    const previous = process.umask(0);
    try {
      writeStateAtomic(f, { bookmarks: {} });
    } finally {
      process.umask(previous);
    }
    expect((statSync(f).mode & 0o777).toString(8)).to.equal('600');
  });

  it("keeps numbers beyond 2^53 digit for digit: target line → state file → next run's read and the tap's copy", () => {
    // JSON.parse would read 9007199254740992, 18446744073709552000 and 0.12345678901234568.
    expect(JSON.stringify(JSON.parse(BIG_STATE))).not.to.equal(BIG_STATE);
    const fromTarget = stateFromTargetLine(`{"type":"STATE","value":${BIG_STATE}}`)!;
    const f = path.join(dir, 'state.json');
    writeStateAtomic(f, fromTarget);
    expect(readFileSync(f, 'utf8')).to.equal(BIG_STATE + '\n');
    expect(stringifyExact(readStateFile(f))).to.equal(BIG_STATE);
    // The tap reads its --state copy the same way, and its bookmarks are copied without losing a digit.
    expect(stringifyExact(parseState(parseJsonExact(readFileSync(f, 'utf8'))))).to.equal(BIG_STATE);
  });

  it("keeps a state key named __proto__ as a key when copying bookmarks (never the copy's prototype)", () => {
    const text = '{"bookmarks":{"__proto__":{"1":{"cursor":9007199254740993}},"ads":{}}}';
    expect(stringifyExact(parseState(parseJsonExact(text)))).to.equal(text);
  });

  it('reads state from Singer STATE lines and bare state objects, ignoring other output', () => {
    expect(stateFromTargetLine('{"type":"STATE","value":{"bookmarks":{}}}')).to.deep.equal({ bookmarks: {} });
    expect(stateFromTargetLine('{"bookmarks":{"x":{}}}')).to.deep.equal({ bookmarks: { x: {} } });
    expect(stateFromTargetLine('{"type":"RECORD","stream":"x","record":{}}')).to.equal(undefined);
    expect(stateFromTargetLine('loaded 5 rows')).to.equal(undefined);
    expect(stateFromTargetLine('{"type":"STATE","value":[1]}')).to.equal(undefined);
  });

  it('writes at most once per interval but always flushes the newest state at the end', () => {
    const f = path.join(dir, 'state.json');
    let now = 0;
    const p = new StatePersister(f, 1000, () => now);
    p.offer({ n: 1 });
    now = 10;
    p.offer({ n: 2 });
    p.offer({ n: 3 });
    expect(JSON.parse(readFileSync(f, 'utf8'))).to.deep.equal({ n: 1 });
    now = 2000;
    p.offer({ n: 4 });
    expect(JSON.parse(readFileSync(f, 'utf8'))).to.deep.equal({ n: 4 });
    p.offer({ n: 5 });
    p.flush();
    expect(JSON.parse(readFileSync(f, 'utf8'))).to.deep.equal({ n: 5 });
    expect(p.writeCount).to.equal(3);
    expect(p.committed).to.deep.equal({ n: 5 });
  });
});
