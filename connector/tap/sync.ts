// One tap run: token checks, SCHEMA for every selected stream, asset discovery (full-table streams
// wrapped in ACTIVATE_VERSION when discovery was complete), then every ad account (bounded parallelism,
// see sync-account.ts), one sync_log row each, and a human summary. An account that fails is isolated:
// the others complete and exit code 5 names it.
import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { ConnectorError, EXIT_CODES, type ExitCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { isStreamSelected, parseCatalog, projectSchema, selectedFields, type Catalog } from '../singer/catalog.js';
import { activateVersionMessage, recordMessage, schemaMessage, stateMessage, type SingerMessage } from '../singer/messages.js';
import { getBookmark, setBookmark, type TapState } from '../singer/state.js';
import { accountInfo, discoverAssets, type AccountInfo, type DiscoveryResult, type FoundAsset } from './assets.js';
import type { TapConfig } from './config.js';
import { tokensOf } from './config.js';
import { describeStreams } from './discover.js';
import type { GraphPort, CallStats, TokenRef } from './graph-port.js';
import { isTokenType, type TokenCheck, type TokenType } from '../graph/tokens.js';
import { syncAccount, type AccountRunContext, type SelectedStream } from './sync-account.js';
import { shapeRecord, shaperFor } from './records.js';
import { accountOf, RecordCounts } from '../singer/record-counts.js';
import { ASSET_STREAMS, ENTITY_STREAMS } from './streams.js';

export interface SyncDeps {
  config: TapConfig;
  graph: GraphPort & { statsFor(accountId: string): CallStats };
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
}

export interface SyncSummary {
  exitCode: ExitCode;
  runId: string;
  accounts: number;
  added: number;
  updated: number;
  failed: Array<{ accountId: string; kind: string; message: string; hint: string | undefined }>;
  /** Accounts listed but not synced (closed, or no role on them), each with why. */
  skipped: Array<{ accountId: string; reason: string }>;
  /** Labels of tokens that could not be used this run (dead at debug_token, or /me failed). */
  failedTokens: string[];
  incompleteDiscovery: string[];
  records: number;
  state: TapState;
}

/** Streams the run reads: the catalog's selection, or every stream when no catalog is given. */
export function selectStreams(config: TapConfig, rawCatalog: unknown): Map<string, SelectedStream> {
  const described = describeStreams(config);
  const out = new Map<string, SelectedStream>();
  if (rawCatalog === undefined) {
    for (const d of described) {
      const fields = Object.keys((d.schema['properties'] ?? {}) as object);
      out.set(d.name, { d, fields, schema: d.schema });
    }
    return out;
  }
  const catalog: Catalog = parseCatalog(rawCatalog, described.map((d) => d.name));
  for (const entry of catalog.streams) {
    if (!isStreamSelected(entry)) continue;
    const d = described.find((x) => x.name === (entry.tap_stream_id ?? entry.stream))!;
    const ours = Object.keys((d.schema['properties'] ?? {}) as object);
    const fields = [...new Set([...selectedFields(entry).filter((f) => ours.includes(f)), ...d.keyProperties, ...(d.replicationKey ? [d.replicationKey] : []), '_sdc_extracted_at'])].filter((f) => ours.includes(f));
    out.set(d.name, { d, fields, schema: projectSchema(d.schema, fields) });
  }
  return out;
}

export async function runSync(deps: SyncDeps): Promise<SyncSummary> {
  const { config, graph, log } = deps;
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const runId = deps.runId ?? randomUUID();
  // Table versions order runs against each other in the warehouse (ACTIVATE_VERSION), so they come
  // from the machine's wall clock even when the run's clock is pinned to another day.
  const version = Date.now();
  const started = clock();
  const tokens = tokensOf(config);
  if (tokens.length === 0) throw new ConnectorError('config', 'config has no access token', { hint: 'Set config.access_token or config.access_tokens.' });
  const selected = selectStreams(config, deps.catalog);
  let state = deps.state;
  let records = 0;
  // What this run wrote, per stream and account, reported as record_count metrics at the end so the
  // orchestrator can check every line reached the warehouse.
  const written = new RecordCounts();
  const emitRecord = async (stream: string, record: Record<string, unknown>, v?: number): Promise<void> => {
    records++;
    written.add(stream, accountOf(record));
    await deps.write(recordMessage(stream, record, clock(), v));
  };
  const emitState = (): Promise<void> => deps.write(stateMessage(state as unknown as Record<string, unknown>));

  // Tokens are checked before the first Singer line, so a run without a usable token leaves stdout
  // empty (exit 3/4); a dead token among working ones is left out and reported (exit 5).
  const checks = deps.checkTokens ? await deps.checkTokens(tokens) : [];
  const scopes = new Map<string, string[]>();
  const types = new Map<string, TokenType>();
  const deadTokens: Array<{ label: string; error: ConnectorError }> = [];
  for (const c of checks) {
    if (c.problem) deadTokens.push({ label: c.label, error: c.problem });
    if (c.scopes.length) scopes.set(c.label, c.scopes);
    if (isTokenType(c.type)) types.set(c.label, c.type);
  }
  const usable = tokens.filter((t) => !deadTokens.some((d) => d.label === t.label));

  for (const s of selected.values()) await deps.write(schemaMessage(s.d.name, s.schema, s.d.keyProperties, s.d.replicationKey ? [s.d.replicationKey] : undefined));

  const limit = pLimit(config.max_concurrency);
  const assetSelection = new Map<string, string[]>();
  for (const a of ASSET_STREAMS) {
    const s = selected.get(a.name);
    if (s) assetSelection.set(a.name, s.fields);
  }
  const discovery = await discoverAssets({ graph, config, tokens: usable, log: log.child({ phase: 'discovery' }), limit, selected: assetSelection, scopes, types, deadTokens });
  if (discovery.adAccounts.size === 0 && discovery.failedTokens.length === tokens.length && discovery.failedTokens[0]) throw discovery.failedTokens[0].error;
  await emitAssets(discovery, selected, version, clock, emitRecord, deps.write, log, deps.narrowedBy);

  const accounts: AccountInfo[] = [...discovery.adAccounts.entries()].filter(([id]) => !discovery.skipped.has(id)).map(([id, a]) => accountInfo(usable, id, a));
  const knownAccounts = new Set(Object.values(state.bookmarks).flatMap((per) => Object.keys(per)));
  const failed: SyncSummary['failed'] = [];
  let added = 0;
  let updated = 0;
  let anyStreamOk = false;
  const syncLog = selected.get('sync_log');
  const syncLogShaper = syncLog ? shaperFor(syncLog.schema, syncLog.fields) : undefined;
  const writeSyncLog = async (row: Record<string, unknown>): Promise<void> => {
    if (!syncLog || !syncLogShaper) return;
    await emitRecord('sync_log', shapeRecord(row, syncLogShaper, { extractedAt: clock() }));
  };

  /** A sync_log row for an account this run did not read (unreachable, skipped, lost with a dead token). */
  const notReadRow = (accountId: string, name: string | null, status: 'failed' | 'skipped', why: { kind: string | null; message: string; hint: string | undefined }) => {
    const stats = graph.statsFor(accountId);
    return writeSyncLog({ run_id: runId, account_id: accountId, account_name: name, started_at: started.toISOString(), finished_at: clock().toISOString(), status, is_new_account: !knownAccounts.has(accountId), streams: [], records: 0, ...stats, errors: status === 'failed' ? Math.max(1, stats.errors) : stats.errors, error_class: why.kind, error_message: why.message, hint: why.hint ?? null });
  };
  for (const u of discovery.unreachable) {
    failed.push({ accountId: u.accountId, kind: u.error.kind, message: u.error.message, hint: u.error.hint });
    log.failure(u.error, { account_id: u.accountId });
    await notReadRow(u.accountId, null, 'failed', u.error);
  }
  const skipped: SyncSummary['skipped'] = [];
  for (const [accountId, s] of discovery.skipped) {
    const raw = discovery.adAccounts.get(accountId)?.raw;
    skipped.push({ accountId, reason: s.reason });
    log.warn(`account ${accountId} skipped: ${s.reason}`, { account_id: accountId, error_kind: s.errorClass, hint: s.hint });
    await notReadRow(accountId, typeof raw?.['name'] === 'string' ? raw['name'] : null, 'skipped', { kind: s.errorClass, message: s.reason, hint: s.hint });
  }
  // Accounts earlier runs synced that no usable token listed this time: with a dead token they are
  // most likely its own, so they are reported (failed, its error) instead of silently vanishing.
  const firstDead = discovery.failedTokens[0];
  if (firstDead) {
    const labels = discovery.failedTokens.map((f) => `"${f.label}"`).join(', ');
    for (const accountId of [...knownAccounts].sort()) {
      if (discovery.adAccounts.has(accountId) || discovery.unreachable.some((u) => u.accountId === accountId) || (config.account_ids && !config.account_ids.includes(accountId))) continue;
      const message = `ad account ${accountId} was not reached this run: token ${labels} could not be used (${firstDead.error.message}) and no other token lists it`;
      failed.push({ accountId, kind: firstDead.error.kind, message, hint: firstDead.error.hint });
      log.error(message, { account_id: accountId, error_kind: firstDead.error.kind, hint: firstDead.error.hint });
      await notReadRow(accountId, null, 'failed', { kind: firstDead.error.kind, message, hint: firstDead.error.hint });
    }
  }

  const accountCtx: AccountRunContext = {
    config,
    graph,
    log,
    limit,
    jobLimit: pLimit(config.max_concurrency),
    clock,
    sleep,
    entityStreams: ENTITY_STREAMS.filter((e) => selected.has(e.name)),
    reports: [...selected.values()].filter((s) => s.d.declaration.kind === 'insights'),
    selected,
    emitRecord: (stream, record) => emitRecord(stream, record),
    getBookmark: (stream, accountId) => getBookmark(state, stream, accountId),
    commitBookmark: async (stream, accountId, bookmark) => {
      state = setBookmark(state, stream, accountId, bookmark);
      await emitState();
    },
  };
  const accountLimit = pLimit(config.max_concurrency);
  await Promise.all(
    accounts.map((account) =>
      accountLimit(async () => {
        const accountStarted = clock();
        const isNew = !knownAccounts.has(account.accountId);
        const outcome = await syncAccount(accountCtx, account);
        const { error } = outcome;
        const stats = graph.statsFor(account.accountId);
        if (outcome.streams.some((x) => x.status === 'ok')) anyStreamOk = true;
        if (error) {
          failed.push({ accountId: account.accountId, kind: error.kind, message: error.message, hint: error.hint });
          log.failure(error, { account_id: account.accountId });
        } else if (isNew) added++;
        else if (outcome.streams.some((s) => s.found > 0 && ENTITY_STREAMS.some((e) => e.name === s.stream))) updated++;
        await writeSyncLog({
          run_id: runId,
          account_id: account.accountId,
          account_name: account.name,
          started_at: accountStarted.toISOString(),
          finished_at: clock().toISOString(),
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

  await emitState();
  const incompleteDiscovery = [...discovery.incomplete.keys()];
  const exitCode = exitCodeOf(failed, anyStreamOk, incompleteDiscovery.length > 0);
  const summary: SyncSummary = { exitCode, runId, accounts: accounts.length, added, updated, failed, skipped, failedTokens: discovery.failedTokens.map((f) => f.label), incompleteDiscovery, records, state };
  written.report(log);
  logSummary(log, summary);
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
  const parts = [`found ${found} ad account${found === 1 ? '' : 's'}`, `${s.updated} updated`, `${s.added} added`];
  if (s.failed.length) parts.push(`${s.failed.length} failed (${s.failed.map((f) => f.accountId).join(', ')})`);
  if (s.skipped.length) parts.push(`${s.skipped.length} skipped (${s.skipped.map((f) => f.accountId).join(', ')})`);
  if (s.failedTokens.length) parts.push(`token${s.failedTokens.length === 1 ? '' : 's'} ${s.failedTokens.map((l) => `"${l}"`).join(', ')} not usable`);
  log.info(`Sync ${s.exitCode === 0 ? 'finished' : 'finished with problems'}: ${parts.join(', ')}; ${s.records} records.`, {
    type: 'summary',
    run_id: s.runId,
    accounts: s.accounts,
    updated: s.updated,
    added: s.added,
    records: s.records,
    exit_code: s.exitCode,
  });
  for (const f of s.failed) log.error(`account ${f.accountId} failed: ${f.message}`, { account_id: f.accountId, error_kind: f.kind, hint: f.hint });
  if (s.incompleteDiscovery.length) {
    log.warn(`discovery was incomplete for ${s.incompleteDiscovery.join(', ')}: those streams were not activated (rows from earlier runs are kept)`, {
      hint: s.failedTokens.length
        ? 'A token could not be used (see the error lines above): replace it, and the next run lists its assets again.'
        : 'Check the warnings above: a token without business_management or a business it lost access to is the usual cause.',
    });
  }
}

async function emitAssets(
  r: DiscoveryResult,
  selected: Map<string, SelectedStream>,
  version: number,
  clock: () => Date,
  emitRecord: (stream: string, record: Record<string, unknown>, v?: number) => Promise<void>,
  write: (m: SingerMessage) => Promise<void>,
  log: Logger,
  narrowedBy: string | undefined,
): Promise<void> {
  const maps: Record<string, Map<string, FoundAsset>> = { businesses: r.businesses, ad_accounts: r.adAccounts, pages: r.pages, pixels: r.pixels, product_catalogs: r.productCatalogs };
  for (const a of ASSET_STREAMS) {
    const sel = selected.get(a.name);
    if (!sel) continue;
    const shaper = shaperFor(sel.schema, sel.fields, a.minorUnitFields);
    for (const [id, asset] of maps[a.name]!) {
      const extra: Record<string, unknown> = {};
      if (a.name === 'businesses') extra['token_labels'] = [...asset.tokenLabels].sort();
      else extra['access'] = [...asset.access].sort((x, y) => `${x.token_label}|${x.business_id}|${x.relation}`.localeCompare(`${y.token_label}|${y.business_id}|${y.relation}`));
      if (a.name === 'pixels') extra['ad_account_ids'] = [...asset.adAccountIds].sort();
      if (a.name === 'ad_accounts') {
        extra['account_id'] = id;
        extra['id'] = `act_${id}`;
      }
      const currency = typeof asset.raw['currency'] === 'string' ? asset.raw['currency'] : null;
      await emitRecord(a.name, shapeRecord(asset.raw, shaper, { currency, extractedAt: clock(), extra }), version);
    }
    if (r.incomplete.has(a.name)) log.warn(`${a.name} not activated: discovery failed for ${r.incomplete.get(a.name)!.join('; ')}`);
    else if (narrowedBy) log.info(`${a.name} not activated: ${narrowedBy} narrows this run, so assets outside it keep their rows`, { stream: a.name });
    else await write(activateVersionMessage(a.name, version));
  }
}

