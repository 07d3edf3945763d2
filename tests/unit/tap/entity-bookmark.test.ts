import { expect } from 'chai';
import { BOOKMARK_MARGIN_SECONDS, BOUNDARY_KEY, BOUNDARY_MAX, EntityCursor } from '../../../connector/tap/entity-bookmark.js';

describe("entity bookmark: capped at the read's start in Meta's clock", () => {
  const at = (iso: string): Date => new Date(iso);
  const minus = (iso: string, seconds: number): string => new Date(Date.parse(iso) - seconds * 1000).toISOString().replace('.000Z', 'Z');

  it("caps at the first answer's Date header minus the margin, not at this machine's clock, when the machine runs ahead of Meta", () => {
    // This machine's clock reads 10 minutes ahead of Meta's: trusting it would put the bookmark past edits made during the read.
    const c = new EntityCursor({ updated_time: '2026-11-20T10:00:00Z' }, at('2026-11-20T12:10:00Z'));
    c.onAnswer(at('2026-11-20T12:00:00Z'));
    c.onAnswer(at('2026-11-20T12:03:00Z'));
    c.observe('1', '2026-11-20T12:01:00+0000');
    c.observe('2', '2026-11-20T12:02:00+0000');
    expect(c.next()).to.deep.equal({ updated_time: minus('2026-11-20T12:00:00Z', BOOKMARK_MARGIN_SECONDS), [BOUNDARY_KEY]: { '1': '2026-11-20T12:01:00Z', '2': '2026-11-20T12:02:00Z' } });
  });

  it("uses this machine's clock at the read's start when the first answer carried no Date header", () => {
    const c = new EntityCursor(undefined, at('2026-11-20T12:00:00.750Z'));
    c.onAnswer(undefined);
    c.onAnswer(at('2026-11-20T12:05:00Z'));
    c.observe('1', '2026-11-20T12:04:00Z');
    expect(c.next()?.['updated_time']).to.equal(minus('2026-11-20T12:00:00Z', BOOKMARK_MARGIN_SECONDS));
  });

  it('keeps the latest updated_time seen when it is older than the cap, remembering the objects stamped with it', () => {
    const c = new EntityCursor({ updated_time: '2026-11-19T00:00:00Z' }, at('2026-11-20T12:00:00Z'));
    c.observe('1', '2026-11-20T08:00:00Z');
    c.observe('2', '2026-11-20T09:00:00Z');
    c.observe('3', '2026-11-20T09:00:00Z');
    expect(c.next({ paused_ids: ['3'] })).to.deep.equal({ updated_time: '2026-11-20T09:00:00Z', [BOUNDARY_KEY]: { '2': '2026-11-20T09:00:00Z', '3': '2026-11-20T09:00:00Z' }, paused_ids: ['3'] });
  });

  it('never moves the bookmark back, and keeps the previous boundary when nothing newer arrived', () => {
    const previous = { updated_time: '2026-11-20T11:58:00Z', [BOUNDARY_KEY]: { '7': '2026-11-20T11:59:00Z', '8': '2026-11-20T11:00:00Z' } };
    const c = new EntityCursor(previous, at('2026-11-20T12:00:00Z'));
    expect(c.next()).to.deep.equal({ updated_time: '2026-11-20T11:58:00Z', [BOUNDARY_KEY]: { '7': '2026-11-20T11:59:00Z' } });
  });

  it('tells an object found again unchanged at the boundary from one edited since, whatever the time format', () => {
    const c = new EntityCursor({ updated_time: '2026-11-20T09:00:00Z', [BOUNDARY_KEY]: { '2': '2026-11-20T09:00:00Z' } }, at('2026-11-20T12:00:00Z'));
    expect(c.isRepeat('2', '2026-11-20T09:00:00+0000')).to.equal(true);
    expect(c.isRepeat('2', '2026-11-20T09:30:00+0000')).to.equal(false);
    expect(c.isBeforeSince('2026-11-20T09:00:00+0000'), 'a tie with the bookmark is kept').to.equal(false);
    expect(c.isBeforeSince('2026-11-20T08:59:59+0000')).to.equal(true);
  });

  it('drops the boundary memory past BOUNDARY_MAX objects (they are re-emitted once instead)', () => {
    const c = new EntityCursor(undefined, at('2026-11-20T12:00:00Z'));
    c.onAnswer(at('2026-11-20T12:00:00Z'));
    for (let i = 0; i <= BOUNDARY_MAX; i++) c.observe(String(i), '2026-11-20T12:00:30Z');
    expect(c.next()).to.deep.equal({ updated_time: minus('2026-11-20T12:00:00Z', BOOKMARK_MARGIN_SECONDS) });
  });
});
