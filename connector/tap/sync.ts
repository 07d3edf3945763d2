// One tap run: token checks, SCHEMA for every selected stream, asset discovery (full-table streams
// wrapped in ACTIVATE_VERSION when discovery was complete), then every ad account (bounded parallelism,
// see sync-account.ts), one sync_log row each, and a human summary. An account that fails is isolated:
// the others complete and exit code 5 names it.
import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { dayInZone } from '../core/dates.js';
import { ConnectorError, EXIT_CODES, type ExitCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { paramOf, resyncHow, surfaceOf } from '../core/surface.js';
import { isTokenType, type TokenCheck, type TokenType } from '../graph/tokens.js';
import { findMeta, isStreamSelected, parseCatalog, projectSchema, selectedFields, type Catalog, type CatalogEntry } from '../singer/catalog.js';
import { activateVersionMessage, recordMessage, schemaMessage, stateMessage, type SingerMessage } from '../singer/messages.js';
import { getBookmark, setBookmark, type TapState } from '../singer/state.js';
import { accountInfo, discoverAssets, type AccountInfo, type DiscoveryResult, type FoundAsset } from './assets.js';
import { scopeOf, withScope, type Scope } from './scope.js';
import type { TapConfig } from './config.js';
import { tokensOf } from './config.js';
import { automaticColumns, describeStreams, type DescribedStream } from './discover.js';
import type { GraphPort, CallStats, TokenRef } from './graph-port.js';
import { syncAccount, type AccountRunContext, type SelectedStream } from './sync-account.js';
import { INSIGHTS_RETENTION_MONTHS, planRange } from './read-insights.js';
import { shapeRecord, shaperFor } from './records.js';
import { accountOf, RecordCounts, REREAD_COUNT_METRIC } from '../singer/record-counts.js';
import { reportRequests } from '../singer/request-metrics.js';
import { BOOKMARK_MARGIN_SECONDS, ClockSkewWatch, type ClockSkew } from './entity-bookmark.js';
import { WithdrawnFields, type WithdrawnField } from './withdrawn-fields.js';
import { INSIGHTS_COVERAGE_STREAM, SYNC_LOG_STREAM, TAP_STREAMS, type AssetComputedColumn, type AssetStream, type EntityStream, type TapStream } from './streams.js';

export interface SyncDeps {
  config: TapConfig;
  /** The Graph port plus the client's counters, reported as request metrics at the end of the run. */
  graph: GraphPort & { statsFor(accountId: string): CallStats; totals(): CallStats };
  log: Logger;
  /** Writes one Singer message to stdout with backpressure (SingerWriter.write). */
  write: (m: SingerMessage) => Promise<void>;
  catalog?: unknown;
  state: TapState;
  /** The run's clock (core/clock.ts): decides each account's "today" and time_extracted. Default: system clock. */
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /**
   * debug_token checks (connector/graph/tokens.ts checkTokens), run before anything is read: they throw
   * when no token is usable; a token returned with a problem is left out and the run goes on without it.
   */
  checkTokens?: (tokens: TokenRef[]) => Promise<TokenCheck[]>;
  runId?: string;
  /**
   * Why this run sees only part of what the tokens reach (e.g. "--account"): full-table streams are
   * then upserted without ACTIVATE_VERSION, since activating would mark every asset outside the
   * narrowed run as deleted in the warehouse.
   */
  narrowedBy?: string;
  /** The stream registry (streams.ts); a test passes its own to show a new declaration is synced. */
  streams?: readonly TapStream[];
}

export interface SyncSummary {
  exitCode: ExitCode;
  runId: string;
  accounts: number;
  /** Accounts synced without a bookmark of theirs in the state ("new to the state"). */
  added: number;
  /** Accounts synced on from their bookmarks ("resumed"); accounts = added + updated + failed. */
  updated: number;
  failed: Array<{ accountId: string; kind: string; message: string; hint: string | undefined }>;
  /** Accounts listed but not synced (closed, or no role on them), each with why. */
  skipped: Array<{ accountId: string; reason: string }>;
  /** Objects Meta refused on their own (a creative whose Page the token's user has no role on…): skipped, their accounts went on. */
  skippedObjects: SkippedObject[];
  /** Labels of tokens that could not be used this run (dead at debug_token, or /me failed). */
  failedTokens: string[];
  incompleteDiscovery: string[];
  /** Meta's clock (Date header) and this machine's differed by more than the bookmark margin. */
  clockSkew: ClockSkew | undefined;
  /** Fields Meta stopped serving, left out of their stream's reads for this run (null in its rows). */
  withdrawnFields: WithdrawnField[];
  records: number;
  state: TapState;
}

/**
 * An object Meta refused on its own, skipped while its account went on. Snake case: it is also the
 * shape of the summary line's `skipped_objects`, which `fb-ads-elt sync` reads (pipeline/summary.ts).
 */
export interface SkippedObject {
  account_id: string;
  /** What was not read, e.g. `creative 123`. */
  object: string;
  kind: string;
  message: string;
  hint?: string;
}

/** Streams the run reads: the catalog's selection, or every stream when no catalog is given. */
export function selectStreams(config: TapConfig, rawCatalog: unknown, streams: readonly TapStream[] = TAP_STREAMS, log?: Pick<Logger, 'warn'>): Map<string, SelectedStream> {
  const described = describeStreams(config, streams);
  const out = new Map<string, SelectedStream>();
  if (rawCatalog === undefined) {
    for (const d of described) {
      const fields = Object.keys((d.schema['properties'] ?? {}) as object);
      out.set(d.name, { d, fields, schema: d.schema });
    }
    return out;
  }
  const catalog: Catalog = parseCatalog(
    rawCatalog,
    described.map((d) => d.name),
  );
  for (const entry of catalog.streams) {
    if (!isStreamSelected(entry)) continue;
    const d = described.find((x) => x.name === (entry.tap_stream_id ?? entry.stream))!;
    const ours = Object.keys((d.schema['properties'] ?? {}) as object);
    const fields = [...new Set([...selectedFields(entry), ...automaticColumns(d)])].filter((f) => ours.includes(f));
    if (log) warnCatalogEdits(log, entry, d, ours);
    out.set(d.name, { d, fields, schema: projectSchema(d.schema, fields) });
  }
  return out;
}

/**
 * What a catalog may say that the tap does not do, said once a run: properties the stream does not
 * have (a typo, or a catalog from another version: they would otherwise be missing without a word),
 * and a key other than the stream's (the tap keys its records itself; the target refuses a table's
 * key changing, so a catalog cannot re-key a stream).
 */
function warnCatalogEdits(log: Pick<Logger, 'warn'>, entry: CatalogEntry, d: DescribedStream, ours: readonly string[]): void {
  const unknown = selectedFields(entry).filter((f) => !ours.includes(f));
  if (unknown.length > 0) {
    log.warn(`the catalog selects properties stream "${d.name}" does not have, ignored: ${unknown.join(', ')}`, {
      stream: d.name,
      properties: unknown,
      hint: "Regenerate the catalog with `tap-facebook-ads --config config.json --discover` and select from the properties it lists (custom insights fields go in the config's insights_reports).",
    });
  }
  const metaKey = findMeta(entry, [])?.['table-key-properties'];
  const asked = [entry.key_properties, metaKey].find((k): k is string[] => Array.isArray(k) && JSON.stringify(k) !== JSON.stringify(d.keyProperties));
  if (asked) {
    log.warn(`the catalog gives stream "${d.name}" the key (${asked.join(', ')}); the tap keys it by (${d.keyProperties.join(', ')}) whatever the catalog says`, {
      stream: d.name,
      hint: 'Leave key_properties and table-key-properties as --discover wrote them; a different grain is a custom report (insights_reports in the config).',
    });
  }
}

/**
 * One run's shared facts and outputs, built once by `startRun` and handed to each step: the selection,
 * the clock, the Singer writers (records counted for the record_count metrics) and the state so far.
 */
interface SyncRun {
  deps: SyncDeps;
  clock: Clock;
  runId: string;
  /**
   * Table versions order runs against each other in the warehouse (ACTIVATE_VERSION), so they come
   * from the machine's wall clock even when the run's clock is pinned to another day.
   */
  version: number;
  started: Date;
  tokens: TokenRef[];
  /** The tokens debug_token did not rule out (all of them without token checks). */
  usable: TokenRef[];
  selected: Map<string, SelectedStream>;
  assetStreams: AssetStream[];
  entityStreams: EntityStream[];
  state: TapState;
  records: number;
  /** What this run wrote, per stream and account: reported as record_count metrics at the end. */
  written: RecordCounts;
  /** Of those, insights rows of re-read lookback days (sync_log `reread`): reported as reread_record_count. */
  reread: RecordCounts;
  /** Accounts some earlier run bookmarked (sync_log's is_new_account). */
  knownAccounts: Set<string>;
  /** What earlier runs of this state read (state.scope), as the run started. */
  scope: Scope;
  skippedObjects: SkippedObject[];
  clockSkew: ClockSkewWatch;
  withdrawn: WithdrawnFields;
}

export async function runSync(deps: SyncDeps): Promise<SyncSummary> {
  const run = startRun(deps);
  const tokens = await checkTokens(run);
  await emitSchemas(run);
  const discovery = await discover(run, tokens);
  await emitAssets(run, discovery);
  const notRead = await logNotRead(run, discovery);
  const accounts = await syncAccounts(run, discovery);
  const failed = [...notRead.failed, ...accounts.failed];
  await emitState(run);
  return finish(run, discovery, accounts, failed, notRead.skipped);
}

/**
 * dbt's spend coverage (behind CAC) counts a day as read only where insights_coverage says so: a
 * catalog selecting insights without it leaves CAC undefined for every month, with nothing saying why.
 */
function warnIfCoverageDeselected(selected: ReadonlyMap<string, SelectedStream>, log: Logger): void {
  const reports = [...selected.values()].filter((s) => s.d.declaration.kind === 'insights').map((s) => s.d.name);
  if (reports.length === 0 || selected.has(INSIGHTS_COVERAGE_STREAM.name)) return;
  log.warn(`the catalog selects ${reports.join(', ')} but not ${INSIGHTS_COVERAGE_STREAM.name}: the dbt models will count none of the days read as covered, so CAC stays undefined ("—") for every month`, {
    hint: `Select ${INSIGHTS_COVERAGE_STREAM.name} too (one row per account, report and run), as the catalog --discover writes does.`,
  });
}

/** The earliest zone on Earth (UTC+14): no ad account has reached a day that is not "today" there. */
const EARLIEST_ZONE = 'Pacific/Kiritimati';

/**
 * A start_date after every account's today reads no insights (an empty, "ok" run): almost always a
 * mistyped year, so say so once instead of one silent empty report per account.
 */
function warnIfStartInFuture(config: TapConfig, now: Date, log: Logger): void {
  const latestToday = dayInZone(now, EARLIEST_ZONE);
  if (config.last_days !== undefined || !config.start_date || config.start_date <= latestToday) return;
  log.warn(`config.start_date ${config.start_date} is after today (${latestToday} in the earliest time zone): no insights are read until that day`, {
    hint: 'Check the year of start_date; until then only ad accounts, campaigns, ad sets, ads, creatives and the other assets are read.',
  });
}

function startRun(deps: SyncDeps): SyncRun {
  const clock = deps.clock ?? systemClock;
  const tokens = tokensOf(deps.config);
  if (tokens.length === 0) throw new ConnectorError('config', 'config has no access token', { hint: 'Set config.access_token or config.access_tokens.' });
  const streams = deps.streams ?? TAP_STREAMS;
  const selected = selectStreams(deps.config, deps.catalog, streams, deps.log);
  // A catalog that selects nothing is a valid (empty) run, but almost always a mistake: say so.
  if (selected.size === 0) deps.log.warn('the catalog selects no stream: nothing will be read', { hint: 'Mark streams "selected": true in the catalog metadata (breadcrumb []), or run without --catalog for every stream.' });
  warnIfCoverageDeselected(selected, deps.log);
  warnIfStartInFuture(deps.config, clock(), deps.log);
  return {
    deps,
    clock,
    runId: deps.runId ?? randomUUID(),
    version: Date.now(),
    started: clock(),
    tokens,
    usable: tokens,
    selected,
    assetStreams: streams.filter((s): s is AssetStream => s.kind === 'asset'),
    entityStreams: streams.filter((s): s is EntityStream => s.kind === 'entity'),
    state: deps.state,
    records: 0,
    written: new RecordCounts(),
    reread: new RecordCounts(),
    knownAccounts: new Set(Object.values(deps.state.bookmarks).flatMap((per) => Object.keys(per))),
    scope: scopeOf(deps.state),
    skippedObjects: [],
    clockSkew: new ClockSkewWatch((k) => warnClockSkew(deps.log, k)),
    withdrawn: new WithdrawnFields(deps.log),
  };
}

/** One warning a run when Meta's clock and this machine's disagree by more than the bookmark margin. */
function warnClockSkew(log: Logger, k: ClockSkew): void {
  const behind = k.skew_seconds > 0 ? "this machine's clock is behind Meta's" : "this machine's clock is ahead of Meta's";
  log.warn(
    `Meta's clock (Date header ${k.meta_date}) and this machine's clock (${k.local_time}) differ by ${Math.abs(k.skew_seconds)} s, more than the ${BOOKMARK_MARGIN_SECONDS} s margin of the campaigns/ad sets/ads bookmarks: ${behind}. Those bookmarks follow Meta's Date, but an answer without one (a proxy that drops it) would fall back to this clock and could move a bookmark past edits; "today" for insights, date ranges and _sdc_extracted_at also follow this clock.`,
    { clock_skew: k, hint: 'Synchronise this machine with NTP (e.g. timedatectl set-ntp true, or chrony); if FB_ADS_ELT_NOW is set, unset it or set it to the current time.' },
  );
}

async function emitRecord(run: SyncRun, stream: string, record: Record<string, unknown>, version?: number): Promise<void> {
  run.records++;
  run.written.add(stream, accountOf(record));
  await run.deps.write(recordMessage(stream, record, run.clock(), version));
}

const emitState = (run: SyncRun): Promise<void> => run.deps.write(stateMessage(run.state as unknown as Record<string, unknown>));

/** One sync_log row, when the catalog selects sync_log. */
async function writeSyncLog(run: SyncRun, row: Record<string, unknown>): Promise<void> {
  const syncLog = run.selected.get(SYNC_LOG_STREAM.name);
  if (!syncLog) return;
  // Its hint is worded as the log's are (under Meltano: Meltano's setting names).
  const hint = typeof row['hint'] === 'string' ? run.deps.log.hint(row['hint']) : row['hint'];
  await emitRecord(run, SYNC_LOG_STREAM.name, shapeRecord({ ...row, hint }, shaperFor(syncLog.schema, syncLog.fields), { extractedAt: run.clock() }));
}

/** What debug_token said of the tokens: scopes and types per label, and the ones left out. */
interface TokenFacts {
  scopes: Map<string, string[]>;
  types: Map<string, TokenType>;
  deadTokens: Array<{ label: string; error: ConnectorError }>;
}

/**
 * Tokens are checked before the first Singer line, so a run without a usable token leaves stdout
 * empty (exit 3/4); a dead token among working ones is left out (run.usable) and reported (exit 5).
 */
async function checkTokens(run: SyncRun): Promise<TokenFacts> {
  const checks = run.deps.checkTokens ? await run.deps.checkTokens(run.tokens) : [];
  const facts: TokenFacts = { scopes: new Map(), types: new Map(), deadTokens: [] };
  for (const c of checks) {
    if (c.problem) facts.deadTokens.push({ label: c.label, error: c.problem });
    if (c.scopes.length) facts.scopes.set(c.label, c.scopes);
    if (isTokenType(c.type)) facts.types.set(c.label, c.type);
  }
  run.usable = run.tokens.filter((t) => !facts.deadTokens.some((d) => d.label === t.label));
  return facts;
}

async function emitSchemas(run: SyncRun): Promise<void> {
  for (const s of run.selected.values()) await run.deps.write(schemaMessage(s.d.name, s.schema, s.d.keyProperties, s.d.replicationKey ? [s.d.replicationKey] : undefined));
}

async function discover(run: SyncRun, tokens: TokenFacts): Promise<DiscoveryResult> {
  const { graph, config, log } = run.deps;
  const assetSelection = new Map<string, string[]>();
  for (const a of run.assetStreams) {
    const s = run.selected.get(a.name);
    if (s) assetSelection.set(a.name, s.fields);
  }
  const discovery = await discoverAssets({
    graph,
    config,
    tokens: run.usable,
    log: log.child({ phase: 'discovery' }),
    limit: pLimit(config.max_concurrency),
    selected: assetSelection,
    scopes: tokens.scopes,
    types: tokens.types,
    deadTokens: tokens.deadTokens,
    ...(run.deps.narrowedBy ? { accountIdsFrom: run.deps.narrowedBy } : run.selected.size > 0 ? { carried: run.scope } : {}),
  });
  if (discovery.adAccounts.size === 0 && discovery.failedTokens.length === run.tokens.length && discovery.failedTokens[0]) throw discovery.failedTokens[0].error;
  const leftOut = [...discovery.outOfScope.keys()].sort();
  if (leftOut.length > 0) {
    log.info(`${leftOut.length} ad account${leftOut.length === 1 ? '' : 's'} the tokens reach ${leftOut.length === 1 ? 'is' : 'are'} outside ${run.deps.narrowedBy ?? 'account_ids or business_ids'}: listed in ad_accounts (not marked deleted), nothing else read`, {
      accounts_left_out: leftOut,
    });
  }
  logCarried(log, discovery);
  // A run that selects nothing reads nothing: it hands the state on as it came (README "Streams").
  if (run.selected.size > 0) run.state = withScope(run.state, nextScope(run, discovery));
  return discovery;
}

/** The listings read only because earlier runs of this state read them (assets.ts DiscoveryContext.carried). */
function logCarried(log: Logger, r: DiscoveryResult): void {
  const { businesses, accounts } = r.carried;
  if (businesses.length > 0) {
    log.info(
      `${businesses.length === 1 ? 'business' : `${businesses.length} businesses`} ${businesses.join(', ')} left out by business_ids ${businesses.length === 1 ? 'was' : 'were'} read by earlier runs of this state: ${businesses.length === 1 ? 'its' : 'their'} listings (ad accounts, pages, pixels, catalogs) are still read, so ${businesses.length === 1 ? 'its' : 'their'} rows are not marked deleted while Meta still has them; ${businesses.length === 1 ? 'its' : 'their'} ad accounts are not synced`,
      { businesses_carried: businesses, hint: `To stop reading them (and let their rows be marked deleted), remove them from the state's "scope"."businesses".` },
    );
  }
  if (accounts.length > 0) {
    log.info(`the pixels of ${accounts.length} ad account${accounts.length === 1 ? '' : 's'} no longer synced (${accounts.join(', ')}) are still read (one call each), so pixels can be activated without marking theirs deleted`, {
      accounts_carried: accounts,
    });
  }
}

/**
 * The scope this state records after the run: what it read, plus what earlier runs read that this run
 * left out and a token may still reach (dropped once Meta says none does, or no token lists it any more).
 * A narrowed run (--account) only adds to it.
 */
function nextScope(run: SyncRun, r: DiscoveryResult): Scope {
  const prev = run.scope;
  // Synced or tried (a configured account no token reaches fails, and its sync_log row says so); not one
  // skipped before any read (closed, no role): leaving it out with account_ids must silence it.
  const read = [...[...r.adAccounts.keys()].filter((id) => !r.skipped.has(id)), ...r.unreachable.map((u) => u.accountId)];
  if (run.deps.narrowedBy) return { accounts: new Set([...prev.accounts, ...read]), businesses: new Set([...prev.businesses, ...r.businessesRead]) };
  const listingsComplete = !r.incomplete.has('ad_accounts') && r.failedTokens.length === 0;
  const stillReached = (id: string): boolean => !r.lost.accounts.has(id) && (r.outOfScope.has(id) || r.carried.accounts.includes(id) || !listingsComplete);
  return {
    accounts: new Set([...read, ...[...prev.accounts].filter(stillReached)]),
    businesses: new Set([...r.businessesRead, ...(r.incomplete.has('businesses') ? prev.businesses : [])]),
  };
}

/** A sync_log row for an account this run did not read (unreachable, skipped, lost with a dead token). */
async function notReadRow(run: SyncRun, accountId: string, name: string | null, status: 'failed' | 'skipped', why: { kind: string | null; message: string; hint: string | undefined }): Promise<void> {
  const stats = run.deps.graph.statsFor(accountId);
  await writeSyncLog(run, {
    run_id: run.runId,
    account_id: accountId,
    account_name: name,
    started_at: run.started.toISOString(),
    finished_at: run.clock().toISOString(),
    status,
    is_new_account: !run.knownAccounts.has(accountId),
    streams: [],
    records: 0,
    ...stats,
    errors: status === 'failed' ? Math.max(1, stats.errors) : stats.errors,
    error_class: why.kind,
    error_message: why.message,
    hint: why.hint ?? null,
  });
}

/**
 * Accounts the run does not read, each with its sync_log row: configured ones no token reaches and
 * ones known from earlier runs lost with a dead token (failures), closed or role-less ones (skipped).
 */
async function logNotRead(run: SyncRun, discovery: DiscoveryResult): Promise<{ failed: SyncSummary['failed']; skipped: SyncSummary['skipped'] }> {
  const { log, config } = run.deps;
  const failed: SyncSummary['failed'] = [];
  for (const u of discovery.unreachable) {
    failed.push({ accountId: u.accountId, kind: u.error.kind, message: u.error.message, hint: u.error.hint });
    log.failure(u.error, { account_id: u.accountId });
    await notReadRow(run, u.accountId, null, 'failed', u.error);
  }
  const skipped: SyncSummary['skipped'] = [];
  for (const [accountId, s] of discovery.skipped) {
    const raw = discovery.adAccounts.get(accountId)?.raw;
    skipped.push({ accountId, reason: s.reason });
    log.warn(`account ${accountId} skipped: ${s.reason}`, { account_id: accountId, error_kind: s.errorClass, hint: s.hint });
    await notReadRow(run, accountId, typeof raw?.['name'] === 'string' ? raw['name'] : null, 'skipped', { kind: s.errorClass, message: s.reason, hint: s.hint });
  }
  // Accounts earlier runs synced that no usable token listed this time: with a dead token they are
  // most likely its own, so they are reported (failed, its error) instead of silently vanishing.
  const firstDead = discovery.failedTokens[0];
  if (firstDead) {
    const labels = discovery.failedTokens.map((f) => `"${f.label}"`).join(', ');
    for (const accountId of [...run.knownAccounts].sort()) {
      if (discovery.adAccounts.has(accountId) || discovery.unreachable.some((u) => u.accountId === accountId) || (config.account_ids && !config.account_ids.includes(accountId))) continue;
      const message = `ad account ${accountId} was not reached this run: token ${labels} could not be used (${firstDead.error.message}) and no other token lists it`;
      failed.push({ accountId, kind: firstDead.error.kind, message, hint: firstDead.error.hint });
      log.error(message, { account_id: accountId, error_kind: firstDead.error.kind, hint: firstDead.error.hint });
      await notReadRow(run, accountId, null, 'failed', { kind: firstDead.error.kind, message, hint: firstDead.error.hint });
    }
  }
  if (!run.deps.narrowedBy) {
    const told = new Set([...discovery.adAccounts.keys(), ...discovery.skipped.keys(), ...discovery.unreachable.map((u) => u.accountId), ...failed.map((f) => f.accountId)]);
    for (const accountId of [...run.scope.accounts].sort()) {
      if (told.has(accountId)) continue;
      const why = noLongerSynced(config, accountId, discovery);
      skipped.push({ accountId, reason: why.message });
      log.info(`account ${accountId} skipped: ${why.message}`, { account_id: accountId, hint: why.hint });
      const raw = discovery.outOfScope.get(accountId)?.raw;
      await notReadRow(run, accountId, typeof raw?.['name'] === 'string' ? raw['name'] : null, 'skipped', { kind: null, ...why });
    }
  }
  return { failed, skipped };
}

/**
 * Why an account earlier runs of this state synced is not read now (its sync_log row, status skipped):
 * the config leaves it out, or no token lists it any more. Either way its last failure, if it failed,
 * is no longer what the report calls stale.
 */
function noLongerSynced(config: TapConfig, accountId: string, r: DiscoveryResult): { message: string; hint: string } {
  if (r.outOfScope.has(accountId) || r.carried.accounts.includes(accountId)) {
    const by = config.account_ids && !config.account_ids.includes(accountId) ? 'config.account_ids' : 'config.business_ids';
    return {
      message: `ad account ${accountId} is no longer synced: ${by} leaves it out (earlier runs of this state synced it); its rows stay as they were, not marked deleted, and nothing of it is read but its listing${r.carried.accounts.includes(accountId) ? ' and pixels' : ''}`,
      hint: `Nothing to do if that is intended. To sync it again from its bookmarks, add it back to ${by}; to stop this row, remove "${accountId}" from the state's "scope"."accounts".`,
    };
  }
  // A configured id no token ever reached (a typo, an account of another Business Manager) enters the
  // scope through its failure; once the config drops it, the config is why, not a lost listing.
  if (config.account_ids && !config.account_ids.includes(accountId)) {
    return {
      message: `ad account ${accountId} is no longer synced: config.account_ids leaves it out, and no token lists it (earlier runs of this state tried it)`,
      hint: 'Nothing to do if that is intended; to sync it, add it back to config.account_ids and give a token access to it.',
    };
  }
  return {
    message: `ad account ${accountId} is no longer synced: no token lists it any more (earlier runs of this state synced it); ad_accounts marks it deleted once discovery is complete`,
    hint: 'If it still exists, assign it to the token’s system user again (Business Settings → Ad accounts); otherwise nothing to do.',
  };
}

interface AccountsOutcome {
  accounts: number;
  added: number;
  updated: number;
  failed: SyncSummary['failed'];
  anyStreamOk: boolean;
}

/** Every ad account with bounded parallelism; one sync_log row each. */
async function syncAccounts(run: SyncRun, discovery: DiscoveryResult): Promise<AccountsOutcome> {
  const { config, graph, log } = run.deps;
  const accounts: AccountInfo[] = [...discovery.adAccounts.entries()].filter(([id]) => !discovery.skipped.has(id)).map(([id, a]) => accountInfo(run.usable, id, a));
  const out: AccountsOutcome = { accounts: accounts.length, added: 0, updated: 0, failed: [], anyStreamOk: false };
  const accountCtx: AccountRunContext = {
    runId: run.runId,
    config,
    graph,
    log,
    limit: pLimit(config.max_concurrency),
    jobLimit: pLimit(config.max_concurrency),
    clock: run.clock,
    sleep: run.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    entityStreams: run.entityStreams.filter((e) => run.selected.has(e.name)),
    reports: [...run.selected.values()].filter((s) => s.d.declaration.kind === 'insights'),
    selected: run.selected,
    emitRecord: (stream, record) => emitRecord(run, stream, record),
    getBookmark: (stream, accountId) => getBookmark(run.state, stream, accountId),
    commitBookmark: async (stream, accountId, bookmark) => {
      run.state = setBookmark(run.state, stream, accountId, bookmark);
      await emitState(run);
    },
    skipObject: (accountId, object, e) => run.skippedObjects.push({ account_id: accountId, object, kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }),
    onServed: (servedAt) => run.clockSkew.observe(servedAt, run.clock()),
    withdrawn: run.withdrawn,
  };
  logBackfills(run, accounts, accountCtx.reports);
  const accountLimit = pLimit(config.max_concurrency);
  await Promise.all(
    accounts.map((account) =>
      accountLimit(async () => {
        const accountStarted = run.clock();
        const isNew = !run.knownAccounts.has(account.accountId);
        const outcome = await syncAccount(accountCtx, account);
        const { error } = outcome;
        const stats = graph.statsFor(account.accountId);
        if (outcome.streams.some((x) => x.status === 'ok')) out.anyStreamOk = true;
        for (const x of outcome.streams) if (x.reread > 0) run.reread.add(x.stream, account.accountId, x.reread);
        if (error) {
          out.failed.push({ accountId: account.accountId, kind: error.kind, message: error.message, hint: error.hint });
          log.failure(error, { account_id: account.accountId });
        } else if (isNew) out.added++;
        // Resumed from its bookmarks, changes found or not: counted only when changed, an account
        // with nothing new was in no count and `found` no longer added up (3 found · 0 new · 0 resumed).
        else out.updated++;
        await writeSyncLog(run, {
          run_id: run.runId,
          account_id: account.accountId,
          account_name: account.name,
          started_at: accountStarted.toISOString(),
          finished_at: run.clock().toISOString(),
          status: error ? 'failed' : 'ok',
          is_new_account: isNew,
          streams: outcome.streams,
          records: outcome.records,
          api_calls: stats.api_calls,
          throttles: stats.throttles,
          retries: stats.retries,
          errors: stats.errors,
          error_class: error?.kind ?? null,
          error_message: error?.message ?? null,
          hint: error?.hint ?? null,
        });
      }),
    ),
  );
  return out;
}

/**
 * A start_date moved back before the first day insights bookmarks cover is read in this run, not
 * ignored (read-insights.ts planRange, backfill): said once, naming the reports and accounts, before
 * the (longer) reads start. Bookmarks that never recorded their first day cannot tell and stay silent.
 */
function logBackfills(run: SyncRun, accounts: readonly AccountInfo[], reports: readonly SelectedStream[]): void {
  const { log } = run.deps;
  // A --days run leaves the backfill to the next full run (planRange): it is planned as that run
  // would, and said, or a schedule of --days runs would never read the days and never say so.
  const { last_days: days, ...config } = run.deps.config;
  const now = run.clock();
  const byStream = new Map<string, string[]>();
  for (const r of reports) {
    if (r.d.declaration.kind !== 'insights') continue;
    for (const a of accounts) {
      const plan = planRange(config, a, r.d.declaration.report, getBookmark(run.state, r.d.name, a.accountId), now);
      if (plan?.backfill) byStream.set(r.d.name, [...(byStream.get(r.d.name) ?? []), a.accountId]);
    }
  }
  if (byStream.size === 0) return;
  const streams = [...byStream.keys()];
  // No start_date means as far back as Meta keeps insights: a config that dropped it backfills too.
  const start = config.start_date !== undefined ? `config.start_date ${config.start_date} is` : `with no config.start_date, insights are read as far back as Meta keeps them (${INSIGHTS_RETENTION_MONTHS} months):`;
  const cover = `${start} before the first day the bookmarks of ${streams.map((s) => `${s} (${byStream.get(s)!.length} account${byStream.get(s)!.length === 1 ? '' : 's'})`).join(', ')} cover`;
  const accountIds = [...new Set([...byStream.values()].flat())].sort();
  if (days !== undefined) {
    log.warn(`${cover}: a --days run reads its last ${days} days only, so the days in between wait for the next run without --days`, {
      streams,
      accounts: accountIds,
      hint: `Run once without ${paramOf('days', surfaceOf())} to read them (the bookmarks keep their place); a schedule of such runs alone never does.`,
    });
    return;
  }
  log.warn(`${cover}: this run also reads the days in between, and the bookmarks keep their place`, {
    streams,
    accounts: accountIds,
    hint: `Nothing to do: the next runs are incremental again. To re-read these reports entirely from start_date instead: ${resyncHow(streams, surfaceOf())}.`,
  });
}

function finish(run: SyncRun, discovery: DiscoveryResult, accounts: AccountsOutcome, failed: SyncSummary['failed'], skipped: SyncSummary['skipped']): SyncSummary {
  const incompleteDiscovery = [...discovery.incomplete.keys()];
  // A withdrawn key stops its stream in every account and every run until the connector is updated: a config error, not a partial run.
  const exitCode = run.withdrawn.keyWithdrawn ? run.withdrawn.keyWithdrawn.exitCode : exitCodeOf(failed, accounts.anyStreamOk, incompleteDiscovery.length > 0);
  const summary: SyncSummary = {
    exitCode,
    runId: run.runId,
    accounts: accounts.accounts,
    added: accounts.added,
    updated: accounts.updated,
    failed,
    skipped,
    skippedObjects: run.skippedObjects,
    failedTokens: discovery.failedTokens.map((f) => f.label),
    incompleteDiscovery,
    clockSkew: run.clockSkew.seen,
    withdrawnFields: run.withdrawn.dropped,
    records: run.records,
    state: run.state,
  };
  run.written.report(run.deps.log);
  run.reread.report(run.deps.log, {}, REREAD_COUNT_METRIC);
  const perAccount = new Map([...discovery.adAccounts.keys(), ...discovery.unreachable.map((u) => u.accountId)].map((id) => [id, run.deps.graph.statsFor(id)]));
  reportRequests(run.deps.log, perAccount, run.deps.graph.totals());
  logSummary(run.deps.log, summary);
  return summary;
}

/**
 * 0 when all went well; 5 (partial) when something failed but some stream of some account completed;
 * when nothing completed and every failure is alike, that failure's own code (3 auth, 4 permission, 7 retry later…).
 */
function exitCodeOf(failed: SyncSummary['failed'], anyStreamOk: boolean, incomplete: boolean): ExitCode {
  if (failed.length === 0) return incomplete ? EXIT_CODES.partial : EXIT_CODES.ok;
  const first = failed[0]!;
  if (!anyStreamOk && failed.every((f) => f.kind === first.kind)) return new ConnectorError(first.kind as ConnectorError['kind'], first.message).exitCode;
  return EXIT_CODES.partial;
}

function logSummary(log: Logger, s: SyncSummary): void {
  const found = s.accounts + s.skipped.length;
  // "added" would claim the warehouse lacked them: it means only that the state had no bookmark of theirs.
  const parts = [`found ${found} ad account${found === 1 ? '' : 's'}`, `${s.updated} resumed from the state`, `${s.added} new to the state`];
  if (s.failed.length) parts.push(`${s.failed.length} failed (${s.failed.map((f) => f.accountId).join(', ')})`);
  if (s.skipped.length) parts.push(`${s.skipped.length} skipped (${s.skipped.map((f) => f.accountId).join(', ')})`);
  if (s.skippedObjects.length) parts.push(`${s.skippedObjects.length} object${s.skippedObjects.length === 1 ? '' : 's'} skipped (${s.skippedObjects.map((o) => `${o.object} of account ${o.account_id}`).join(', ')})`);
  if (s.withdrawnFields.length) parts.push(`field${s.withdrawnFields.length === 1 ? '' : 's'} no longer served by Meta and left out: ${s.withdrawnFields.map((w) => `${w.stream}.${w.field}`).join(', ')}`);
  if (s.clockSkew) parts.push(`Meta's clock ${Math.abs(s.clockSkew.skew_seconds)} s ${s.clockSkew.skew_seconds > 0 ? 'ahead of' : 'behind'} this machine's`);
  if (s.failedTokens.length) parts.push(`token${s.failedTokens.length === 1 ? '' : 's'} ${s.failedTokens.map((l) => `"${l}"`).join(', ')} not usable`);
  log.info(`Sync ${s.exitCode === 0 ? 'finished' : 'finished with problems'}: ${parts.join(', ')}; ${s.records} records.`, {
    type: 'summary',
    run_id: s.runId,
    accounts: s.accounts,
    updated: s.updated,
    added: s.added,
    records: s.records,
    exit_code: s.exitCode,
    // `fb-ads-elt sync` lists these in its own summary (pipeline/summary.ts).
    skipped_objects: s.skippedObjects,
    ...(s.clockSkew ? { clock_skew: s.clockSkew } : {}),
    ...(s.withdrawnFields.length ? { withdrawn_fields: s.withdrawnFields } : {}),
  });
  for (const f of s.failed) log.error(`account ${f.accountId} failed: ${f.message}`, { account_id: f.accountId, error_kind: f.kind, hint: f.hint });
  for (const o of s.skippedObjects) log.warn(`${o.object} of account ${o.account_id} was skipped: ${o.message}`, { account_id: o.account_id, error_kind: o.kind, hint: o.hint });
  if (s.incompleteDiscovery.length) {
    log.warn(`discovery was incomplete for ${s.incompleteDiscovery.join(', ')}: those streams were not activated (rows from earlier runs are kept)`, {
      hint: s.failedTokens.length ? 'A token could not be used (see the error lines above): replace it, and the next run lists its assets again.' : 'Check the warnings above: a token without business_management or a business it lost access to is the usual cause.',
    });
  }
}

/** How each computed asset column is derived from what discovery found (sorted: rows are stable across runs). */
const ASSET_COLUMNS: Record<AssetComputedColumn, (a: FoundAsset) => unknown> = {
  access: (a) => [...a.access].sort((x, y) => `${x.token_label}|${x.business_id}|${x.relation}`.localeCompare(`${y.token_label}|${y.business_id}|${y.relation}`)),
  token_labels: (a) => [...a.tokenLabels].sort(),
  ad_account_ids: (a) => [...a.adAccountIds].sort(),
};

/**
 * Asset records (full table, one version per run), then ACTIVATE_VERSION unless discovery was partial
 * or the run narrowed (--account). ad_accounts lists the accounts account_ids / business_ids leave out,
 * and discovery reads the listings of what earlier runs read (state.scope): activating marks deleted
 * only what no token lists any more.
 */
async function emitAssets(run: SyncRun, r: DiscoveryResult): Promise<void> {
  const { log, narrowedBy } = run.deps;
  const maps: Record<string, Map<string, FoundAsset>> = { businesses: r.businesses, ad_accounts: new Map([...r.adAccounts, ...r.outOfScope]), pages: r.pages, pixels: r.pixels, product_catalogs: r.productCatalogs };
  for (const a of run.assetStreams) {
    const sel = run.selected.get(a.name);
    if (!sel) continue;
    const shaper = shaperFor(sel.schema, sel.fields, a.minorUnitFields);
    for (const [id, asset] of maps[a.name]!) {
      const extra: Record<string, unknown> = Object.fromEntries(a.computed.map((c) => [c, ASSET_COLUMNS[c](asset)]));
      if (a.graphIdPrefix !== undefined) {
        extra[a.keyProperties[0]!] = id;
        extra['id'] = `${a.graphIdPrefix}${id}`;
      }
      const currency = typeof asset.raw['currency'] === 'string' ? asset.raw['currency'] : null;
      await emitRecord(run, a.name, shapeRecord(asset.raw, shaper, { currency, extractedAt: run.clock(), extra }), run.version);
    }
    if (r.incomplete.has(a.name)) log.warn(`${a.name} not activated: discovery failed for ${r.incomplete.get(a.name)!.join('; ')}`);
    else if (narrowedBy) log.info(`${a.name} not activated: ${narrowedBy} narrows this run, so assets outside it keep their rows`, { stream: a.name });
    else await run.deps.write(activateVersionMessage(a.name, run.version));
  }
}
