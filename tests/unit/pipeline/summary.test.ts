import { expect } from 'chai';
import { accountsFromSyncLog, buildSummary, formatSummary, skippedObjectsOf, tapNotesOf, type SummaryInput } from '../../../connector/pipeline/summary.js';
import { combineExitCodes, childExitCode } from '../../../connector/pipeline/exit-code.js';

const base = (over: Partial<SummaryInput> = {}): SummaryInput => ({
  runId: 'r1',
  startedAt: new Date('2026-11-25T10:00:00Z'),
  finishedAt: new Date('2026-11-25T10:00:12.345Z'),
  exitCode: 5,
  syncLog: [
    { account_id: '1', status: 'ok', is_new_account: false, api_calls: 10, throttles: 1, records: 40, streams: [{ stream: 'ads', status: 'ok', found: 4, added: 1, updated: 3, deleted: 0 }] },
    { account_id: '2', status: 'ok', is_new_account: true, api_calls: 5, throttles: 0, records: 9, streams: [{ stream: 'ads', status: 'ok', found: 2, added: 2, updated: 0, deleted: 1 }] },
    { account_id: '3', status: 'failed', is_new_account: false, api_calls: 1, throttles: 0, error_class: 'auth', error_message: 'token expired', hint: 'issue a new system-user token' },
  ],
  previousState: { bookmarks: { ads: { '1': {}, '3': {} } } },
  rows: { sync_log: 3, ads: 6, campaigns: 2 },
  stateFile: '/var/lib/x/state.json',
  stateWritten: true,
  stateMessages: 4,
  processFailures: [],
  models: { ran: false },
  ...over,
});

describe('sync summary', () => {
  it('names the stale accounts of models built over a partial run with the pronoun their number takes, and says an account new to the state has no rows yet', () => {
    const line = (stale: string[]): string | undefined =>
      formatSummary(buildSummary(base({ models: { ran: true, due: true, exit_code: 0, models: 9, stale_accounts: stale } })))
        .split('\n')
        .find((l) => l.startsWith('  models'));
    expect(line(['3'])).to.equal('  models    built (9 models) over a partial run: act_3 failed, so its rows stop where an earlier run left them');
    // Account 2 is new to the state (no bookmark before the run): no earlier run left rows for it.
    expect(line(['2', '3'])).to.equal('  models    built (9 models) over a partial run: act_3 failed, so its rows stop where an earlier run left them; act_2 failed on its first run, so the reports have none of its rows yet');
  });

  it("lists the data streams' rows, not the run's own streams (sync_log, insights_coverage)", () => {
    const text = formatSummary(buildSummary(base({ rows: { sync_log: 3, insights_coverage: 12, ads: 6, campaigns: 2 } })));
    expect(text).to.match(/\n\s+ads\s+6/);
    expect(text).to.match(/\n\s+campaigns\s+2/);
    expect(text).to.not.match(/\n\s+(sync_log|insights_coverage)\s/);
  });

  it("keeps the row counts in one column when a custom report's name is longer than the built-in ones", () => {
    const text = formatSummary(buildSummary(base({ rows: { ads: 6, insights_account_age_gender: 2718, campaigns: 2 } })));
    const ends = text
      .split('\n')
      .filter((l) => /^ {12}\S/.test(l))
      .map((l) => /^ {12}\S+\s+\S+/.exec(l)![0].length);
    expect(ends).to.have.length(3);
    expect(new Set(ends).size, text).to.equal(1);
  });

  it('gives as the rows in total the sum of the streams it lists, and the run log apart, so the lines add up to it', () => {
    const text = formatSummary(buildSummary(base({ rows: { sync_log: 3, insights_coverage: 12, ads: 6, campaigns: 2 } })));
    expect(text).to.match(/rows\s+8 in total; the run's own log: insights_coverage 12, sync_log 3\n/);
    expect(formatSummary(buildSummary(base({ rows: { ads: 6 } })))).to.match(/rows\s+6 in total\n/);
  });

  it('counts accounts found, added, updated and failed from sync_log, and sums API calls and throttles', () => {
    const s = buildSummary(base());
    expect(s.accounts).to.include({ found: 3, added: 1, updated: 1, failed: 1 });
    expect(s.api_calls).to.equal(16);
    expect(s.throttles).to.equal(1);
    expect(s.total_rows).to.equal(11);
    // deleted_or_archived: objects read with status DELETED/ARCHIVED, not rows removed; `deleted` is its old name.
    // Account 2 had no ads bookmark: its 2 ads were read without one, not counted as added.
    expect(s.objects['ads']).to.deep.equal({ found: 6, added: 1, updated: 3, reread: 0, first_read: 2, deleted_or_archived: 1, deleted: 1 });
    expect(s.accounts.list.find((a) => a.account_id === '2')?.streams?.['ads']).to.deep.equal({ found: 2, added: 0, updated: 0, reread: 0, first_read: 2, deleted_or_archived: 1, deleted: 1 });
    expect(s.status).to.equal('partial');
    expect(s.duration_s).to.equal(12.3);
  });

  it('counts insights rows of lookback days as re-read, not updated: in the JSON objects and the text line', () => {
    const syncLog = [{ account_id: '1', status: 'ok', is_new_account: false, streams: [{ stream: 'insights_ad', status: 'ok', found: 30, added: 2, updated: 0, reread: 28, deleted: 0 }] }];
    const s = buildSummary(base({ syncLog, previousState: { bookmarks: { insights_ad: { '1': {} } } }, rows: { insights_ad: 30 } }));
    expect(s.objects['insights_ad']).to.include({ found: 30, added: 2, updated: 0, reread: 28, first_read: 0 });
    expect(formatSummary(s)).to.match(/insights_ad\s+30\s+2 added · 0 updated · 28 re-read \(days Meta may restate: merged on their keys, changed or not\)$/m);
    // Without a bookmark before the run nothing is compared: the rows are read without one.
    const first = buildSummary(base({ syncLog, previousState: undefined, rows: { insights_ad: 30 } }));
    expect(first.objects['insights_ad']).to.include({ added: 0, updated: 0, reread: 0, first_read: 30 });
  });

  it('lists each failed account with its error kind and hint, in text too', () => {
    const s = buildSummary(base());
    expect(s.failures).to.deep.equal([{ scope: 'account', account_id: '3', kind: 'auth', message: 'token expired', hint: 'issue a new system-user token' }]);
    const text = formatSummary(s);
    expect(text).to.include('act_3: [auth] token expired').and.include('→ issue a new system-user token');
    expect(text).to.match(/accounts\s+3 found · 1 new to the state · 1 resumed · 1 failed/);
    expect(text).to.match(/ads\s+6\s+1 added · 3 updated · 2 read without a bookmark \(new or already loaded: not told apart\) · 1 with status deleted\/archived$/m);
  });

  it("lists an account's failure once when the tap's fatal error repeats it (the only account failed), and keeps the tap's other errors", () => {
    const repeat = { scope: 'tap' as const, kind: 'auth', message: 'token expired', hint: 'issue a new system-user token' };
    const other = { scope: 'tap' as const, kind: 'data', message: 'stream ads: bad payload' };
    const s = buildSummary(base({ exitCode: 3, processFailures: [repeat, other] }));
    expect(s.failures.map((f) => `${f.scope} ${f.message}`)).to.deep.equal(['account token expired', 'tap stream ads: bad payload']);
    expect(formatSummary(s).split('token expired')).to.have.length(2);
  });

  it('does not call rows the tap sent "in total" when the target failed: it says only the saved state was committed', () => {
    const refused = { scope: 'target' as const, kind: 'transient', message: 'another run holds /w.duckdb (pid 7)' };
    const failed = formatSummary(buildSummary(base({ exitCode: 7, stateWritten: false, processFailures: [refused] })));
    expect(failed).to.match(/rows\s+8 sent by the tap; the target failed, so only what the saved state covers was committed/);
    expect(failed).not.to.include('in total');
    expect(formatSummary(buildSummary(base()))).to.match(/rows\s+8 in total/);
  });

  it('counts the accounts a stopped tap named but never finished (no sync_log row), so the accounts line adds up', () => {
    const stopped = { scope: 'tap' as const, kind: 'stopped', message: 'the tap was stopped before it finished' };
    const s = buildSummary(base({ exitCode: 7, accountsSeen: 6, processFailures: [stopped] }));
    expect(s.accounts).to.include({ found: 6, added: 1, updated: 1, failed: 1, unfinished: 3 });
    expect(formatSummary(s)).to.match(/accounts\s+6 found · 1 new to the state · 1 resumed · 1 failed · 3 not finished \(the tap stopped first: read again from the state next run\)$/m);
    // A tap that wrote its own summary finished every account it counts.
    const done = buildSummary(base({ tapCounts: { accounts: 3, added: 1, updated: 1 } }));
    expect(done.accounts).not.to.have.property('unfinished');
    expect(formatSummary(done)).not.to.include('not finished');
  });

  it('counts skipped accounts (closed, no role) apart from failed ones, in text too', () => {
    const skipped = { account_id: '4', status: 'skipped', is_new_account: false, api_calls: 1, error_class: 'permission', error_message: 'no role on it', hint: 'assign it' };
    const s = buildSummary(base({ syncLog: [...base().syncLog, skipped] }));
    expect(s.accounts.failed).to.equal(1);
    expect(s.failures.map((f) => f.account_id)).to.deep.equal(['3']);
    expect(formatSummary(s)).to.match(/accounts\s+4 found · \d+ new to the state · \d+ resumed · 1 failed · 1 skipped/);
  });

  it('never calls rows "added" when the run had no state: a re-run without one against a loaded warehouse says they were read without a bookmark', () => {
    const again = buildSummary(base({ previousState: undefined, stateFile: undefined, exitCode: 0, syncLog: base().syncLog.slice(0, 2) }));
    expect(again.objects['ads']).to.include({ found: 6, added: 0, updated: 0, first_read: 6 });
    const text = formatSummary(again);
    expect(text).to.match(/ads\s+6\s+6 read without a bookmark \(new or already loaded: not told apart\)/);
    expect(text).not.to.match(/\d+ added/);
  });

  it("prefers the tap's own added/updated counts when its summary line was seen", () => {
    const s = buildSummary(base({ tapCounts: { accounts: 3, added: 0, updated: 2 } }));
    expect(s.accounts).to.include({ found: 3, added: 0, updated: 2 });
  });

  it("takes API calls and throttles from the tap's request metrics (every call, discovery included) over sync_log's per-account sums, and says n/a when nobody counted", () => {
    const none = buildSummary(base({ syncLog: [] }));
    expect(none.api_calls).to.equal(null);
    expect(formatSummary(none)).to.include('n/a calls');
    expect(buildSummary(base({ syncLog: [], requests: { api_calls: 7, throttles: 2 } }))).to.include({ api_calls: 7, throttles: 2 });
    expect(buildSummary(base({ requests: { api_calls: 19, throttles: 1 } }))).to.include({ api_calls: 19, throttles: 1 });
  });

  it('lists the objects the tap skipped (from its summary line), each once and each fix once, apart from failures', () => {
    const hint = 'assign the user a role on the Page';
    const line = [
      { account_id: '1', object: 'creative 11', kind: 'permission', message: 'no role on the Page (code 190/492)', hint },
      { account_id: '2', object: 'creative 22', kind: 'permission', message: 'no role on the Page (code 190/492)', hint },
      { object: 'no account' },
      'garbage',
    ];
    const s = buildSummary(base({ skippedObjects: skippedObjectsOf(line) }));
    expect(s.skipped_objects.map((o) => `${o.account_id}:${o.object}`)).to.deep.equal(['1:creative 11', '2:creative 22']);
    expect(s.failures.map((f) => f.account_id)).to.deep.equal(['3']);
    const text = formatSummary(s);
    expect(text).to.include('act_1: creative 11 [permission] no role on the Page (code 190/492)').and.include('act_2: creative 22');
    expect(text.split(`→ ${hint}`)).to.have.length(2);
    expect(formatSummary(buildSummary(base()))).to.not.include('skipped (their accounts');
  });

  it("shows the fields Meta no longer served and a clock skew from the tap's summary line, and nothing when it names none", () => {
    const line = {
      withdrawn_fields: [{ stream: 'ad_sets', field: 'bid_strategy', message: '(#100) Tried accessing nonexisting field (bid_strategy) on node type (AdCampaign)' }, { stream: 'ads' }],
      clock_skew: { meta_date: '2026-11-20T12:00:00.000Z', local_time: '2026-11-20T11:40:00.000Z', skew_seconds: 1200 },
    };
    const s = buildSummary(base({ tapNotes: tapNotesOf(line) }));
    expect(s.withdrawn_fields.map((w) => `${w.stream}.${w.field}`)).to.deep.equal(['ad_sets.bid_strategy']);
    expect(s.clock_skew).to.deep.equal(line.clock_skew);
    const text = formatSummary(s);
    expect(text).to.include('left out this run (null in their rows): ad_sets.bid_strategy');
    expect(text).to.include("Meta's clock (2026-11-20T12:00:00.000Z) is 1200 s ahead of this machine's (2026-11-20T11:40:00.000Z)");
    const quiet = buildSummary(base({ tapNotes: tapNotesOf({}) }));
    expect([quiet.withdrawn_fields, quiet.clock_skew]).to.deep.equal([[], null]);
    expect(formatSummary(quiet)).to.not.match(/left out this run|clock /);
  });

  it('reads sync_log by the columns its schema names, not by guessed alternatives', () => {
    const [a] = accountsFromSyncLog([{ account_id: '9', status: 'failed', calls: 4, error_kind: 'auth', error: 'x', error_hint: 'y', error_class: 'permission', error_message: 'no access', hint: 'assign it' }], undefined);
    expect(a!.api_calls).to.equal(undefined);
    expect(a!.error).to.deep.equal({ kind: 'permission', message: 'no access', hint: 'assign it' });
  });
});

describe('pipeline exit code', () => {
  it('lets the target win, then the tap, then the models step', () => {
    expect(combineExitCodes({ tap: 5, target: 6 })).to.equal(6);
    expect(combineExitCodes({ tap: 5, target: 0, models: 2 })).to.equal(5);
    expect(combineExitCodes({ tap: 0, target: 0, models: 6 })).to.equal(6);
    expect(combineExitCodes({ tap: 0, target: 0 })).to.equal(0);
  });

  it('maps a kill from outside (kill -9, SIGTERM) to retry later, a crash signal to unexpected unless we stopped the child', () => {
    expect(childExitCode({ code: null, signal: 'SIGKILL' })).to.equal(7);
    expect(childExitCode({ code: null, signal: 'SIGTERM' })).to.equal(7);
    expect(childExitCode({ code: null, signal: 'SIGSEGV' })).to.equal(1);
    expect(childExitCode({ code: null, signal: 'SIGABRT' }, { stoppedByUs: true })).to.equal(7);
    expect(childExitCode({ code: null, signal: 'SIGTERM' }, { stoppedByUs: true })).to.equal(7);
    expect(childExitCode({ code: 3, signal: null })).to.equal(3);
  });
});
