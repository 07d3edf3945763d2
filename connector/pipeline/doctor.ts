// `fb-ads-elt doctor`: the first command a new user runs. Checks the tap config (and the target's),
// asks Meta about every token (debug_token: type, scopes, expiry, data-access expiry), lists the ad
// accounts each token reaches and probes whether insights can be read there, and reads the state file
// a sync would start from (which streams and accounts have bookmarks) — then says what to fix.
// Read-only: it writes nothing and emits no Singer lines.
import pLimit from 'p-limit';
import type { Clock } from '../core/clock.js';
import { asConnectorError, EXIT_CODES, type ConnectorError, type ExitCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { GraphClient } from '../graph/client.js';
import { inspectToken, isTokenType, type TokenInspection } from '../graph/tokens.js';
import { accountStatusName, UNSYNCED_ACCOUNT_STATUSES } from '../tap/account-status.js';
import { accountInfo, discoverAssets } from '../tap/assets.js';
import { loadTapConfig, tapSettingsFor, tokensOf, type TapConfig } from '../tap/config.js';
import { ENV_CONFIG } from '../core/config.js';
import type { SettingsSource } from '../core/surface.js';
import { loadTargetConfig, type TargetConfig } from '../target/config.js';
import { existsSync } from 'node:fs';
import type { TapState } from '../singer/state.js';
import { bookmarkKeys } from '../tap/discover.js';
import { readStateFile } from './state-file.js';
import { checkDatasetOfState, checkStateFilePath, checkWarehouseOfState } from './state-checks.js';
import { assignPeoplePath } from '../graph/business-settings.js';

export interface DoctorOptions {
  tapConfigPath: string;
  targetConfigPath?: string | undefined;
  /** The state file a sync would use (sync --state-file), checked as sync checks it. */
  stateFile?: string | undefined;
  log: Logger;
  clock: Clock;
}

export interface DoctorFinding {
  ok: boolean;
  /** What was checked, in a sentence. */
  what: string;
  /** What to do about it (absent when ok). */
  fix?: string | undefined;
  kind?: string | undefined;
  exit_code?: ExitCode | undefined;
}

export interface DoctorToken {
  label: string;
  valid: boolean;
  type: string | null;
  scopes: string[];
  expires_at: string | null;
  data_access_expires_at: string | null;
  warnings: string[];
  problem: DoctorFinding | null;
}

export interface DoctorAccount {
  account_id: string;
  name: string | null;
  currency: string | null;
  timezone: string;
  account_status: number | null;
  tokens: string[];
  /** Whether a one-day insights read succeeded with the first token that reaches it. */
  insights: DoctorFinding;
  /** Why sync lists this account but reads nothing from it (closed, no role), or null. */
  skipped: string | null;
}

/** The state file a sync would start from. */
export interface DoctorStateFile {
  file: string;
  /** Ad account ids (act_ prefix dropped) with a bookmark, per stream: what the next sync resumes; the rest it reads from start_date. */
  bookmarks: Record<string, string[]>;
  /** Streams bookmarked in the file that the tap config does not read: kept and written back, not read. */
  unknown_streams: string[];
  findings: DoctorFinding[];
}

export interface DoctorReport {
  exit_code: ExitCode;
  config: DoctorFinding[];
  /** Present with --state-file. */
  state_file: DoctorStateFile | null;
  tokens: DoctorToken[];
  accounts: DoctorAccount[];
  /** Configured account_ids no token reaches, and discovery edges that failed. */
  discovery: DoctorFinding[];
  next_steps: string[];
}

/** Meta's account_status values (AdAccount reference): only 1 delivers; the others explain missing data. */

const finding = (e: ConnectorError, what: string): DoctorFinding => ({ ok: false, what: what ? `${what}: ${e.message}` : e.message, fix: e.hint, kind: e.kind, exit_code: e.exitCode });
/** A config file's finding: its errors name the file already (core/config.ts), others get it in front. */
const configFinding = (err: unknown, what: string, file: string): DoctorFinding => {
  const e = asConnectorError(err);
  return finding(e, e.message.includes(file) ? '' : `${what} ${file}`);
};

/** The exit code of the most basic problem: a config error hides everything after it, then auth, permission, retry-later. */
const PRECEDENCE: readonly ExitCode[] = [EXIT_CODES.config, EXIT_CODES.auth, EXIT_CODES.permission, EXIT_CODES.retryLater, EXIT_CODES.data, EXIT_CODES.unexpected];
function exitCodeOf(problems: DoctorFinding[]): ExitCode {
  const codes = new Set(problems.filter((p) => !p.ok).map((p) => p.exit_code ?? EXIT_CODES.unexpected));
  return PRECEDENCE.find((c) => codes.has(c)) ?? EXIT_CODES.ok;
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  // Hints name tap settings as a config file's keys; read from environment variables, they name those.
  const settingsSource: SettingsSource = o.tapConfigPath === ENV_CONFIG ? 'env' : 'file';
  const report: DoctorReport = { exit_code: EXIT_CODES.ok, config: [], state_file: null, tokens: [], accounts: [], discovery: [], next_steps: [] };
  let config: TapConfig;
  try {
    const loaded = loadTapConfig(o.tapConfigPath);
    config = loaded.config;
    report.config.push({ ok: true, what: `tap config ${o.tapConfigPath} is valid (${tokensOf(config).length} token(s), ${config.account_ids ? `${config.account_ids.length} account id(s)` : 'every reachable account'}${config.start_date ? `, from ${config.start_date}` : ''})` });
  } catch (err) {
    report.config.push(configFinding(err, 'tap config', o.tapConfigPath));
    return finish(report, settingsSource);
  }
  let target: TargetConfig | undefined;
  if (o.targetConfigPath) {
    try {
      target = loadTargetConfig(o.targetConfigPath).config;
      report.config.push({ ok: true, what: `target config ${o.targetConfigPath} is valid (${target.destination}, dataset ${target.dataset})` });
    } catch (err) {
      report.config.push(configFinding(err, 'target config', o.targetConfigPath));
    }
  }
  if (o.stateFile) report.state_file = await checkStateFile(o.stateFile, config, target, o.clock());

  const graph = new GraphClient({ config, log: o.log, clock: o.clock });
  const now = o.clock().getTime();
  const inspected: TokenInspection[] = [];
  for (const t of tokensOf(config)) {
    try {
      inspected.push(await inspectToken(graph, t, now, config.token_expiry_warning_days));
    } catch (err) {
      const e = asConnectorError(err);
      report.tokens.push({ label: t.label, valid: false, type: null, scopes: [], expires_at: null, data_access_expires_at: null, warnings: [], problem: finding(e, `token "${t.label}" could not be checked`) });
    }
  }
  for (const i of inspected) {
    report.tokens.push({
      label: i.label,
      valid: !i.problem,
      type: i.type ?? null,
      scopes: i.scopes,
      expires_at: i.expiresAt?.toISOString() ?? null,
      data_access_expires_at: i.dataAccessExpiresAt?.toISOString() ?? null,
      warnings: i.warnings,
      problem: i.problem ? { ...finding(i.problem, ''), what: i.problem.message } : null,
    });
  }

  const usable = inspected.filter((i) => !i.problem).map((i) => tokensOf(config).find((t) => t.label === i.label)!);
  if (usable.length > 0) await probeAccounts(o, config, graph, usable, inspected, report);
  return finish(report, settingsSource);
}

/**
 * The state file as sync reads it (its path, JSON, every bookmark as the tap checks it against this
 * config and the clock, and the warehouse it loaded into when the target config is given): a problem
 * is the exit 2 a sync would end with, before any call.
 */
async function checkStateFile(file: string, config: TapConfig, target: TargetConfig | undefined, now: Date): Promise<DoctorStateFile> {
  const out: DoctorStateFile = { file, bookmarks: {}, unknown_streams: [], findings: [] };
  const fail = (err: unknown): DoctorStateFile => (out.findings.push(finding(asConnectorError(err), '')), out);
  try {
    checkStateFilePath(file);
  } catch (err) {
    return fail(err);
  }
  const known = bookmarkKeys(config);
  let state: TapState | undefined;
  try {
    state = readStateFile(file, undefined, { keys: known, now, warn: (_msg, fields) => void (typeof fields['stream'] === 'string' && out.unknown_streams.push(fields['stream'])) });
  } catch (err) {
    return fail(err);
  }
  if (!state) {
    const what = existsSync(file) ? 'is empty' : 'does not exist yet';
    out.findings.push({ ok: true, what: `state file ${file} ${what}: the next sync reads every stream from start_date and saves its state there` });
    return out;
  }
  for (const [stream, perAccount] of Object.entries(state.bookmarks)) out.bookmarks[stream] = Object.keys(perAccount).map((a) => a.replace(/^act_/, ''));
  const accounts = new Set(Object.values(out.bookmarks).flat());
  out.findings.push({ ok: true, what: `state file ${file} is valid: bookmarks of ${Object.keys(out.bookmarks).length} stream(s) for ${accounts.size} ad account(s)` });
  if (target) {
    try {
      checkWarehouseOfState(file, state, target, process.cwd());
      await checkDatasetOfState(file, state, known, target, process.cwd());
    } catch (err) {
      return fail(err);
    }
  }
  return out;
}

/** Discovery as the tap runs it, then a one-day account-level insights read per account. */
async function probeAccounts(o: DoctorOptions, config: TapConfig, graph: GraphClient, usable: ReturnType<typeof tokensOf>, inspected: TokenInspection[], report: DoctorReport): Promise<void> {
  const limit = pLimit(config.max_concurrency);
  const scopes = new Map(inspected.filter((i) => i.scopes.length).map((i) => [i.label, i.scopes]));
  const types = new Map(inspected.flatMap((i) => (isTokenType(i.type) ? [[i.label, i.type] as const] : [])));
  const found = await discoverAssets({ graph, config, tokens: usable, log: o.log.child({ phase: 'discovery' }), limit, selected: new Map([['ad_accounts', ['account_status']]]), scopes, types });
  for (const [stream, why] of found.incomplete)
    report.discovery.push({ ok: false, what: `discovery of ${stream} is incomplete (${why.join('; ')})`, fix: 'Give the token business_management and assign it to the Business Manager, or list account_ids explicitly.', kind: 'permission', exit_code: EXIT_CODES.permission });
  for (const u of found.unreachable) report.discovery.push(finding(u.error, `configured account ${u.accountId} is not reachable by any token`));
  for (const f of found.failedTokens) report.discovery.push(finding(f.error, `token "${f.label}" could not list its assets`));
  const accounts = [...found.adAccounts.entries()].map(([id, a]) => ({ info: accountInfo(usable, id, a), raw: a.raw }));
  report.accounts = await Promise.all(
    accounts.map(({ info, raw }) =>
      limit(async (): Promise<DoctorAccount> => {
        const status = typeof raw['account_status'] === 'number' ? raw['account_status'] : null;
        const skip = found.skipped.get(info.accountId);
        const base = { account_id: info.accountId, name: info.name, currency: info.currency, timezone: info.timezone, account_status: status, tokens: info.tokens.map((t) => t.label) };
        // Sync reads nothing from it, so neither does doctor: what to do (if anything) is its hint.
        if (skip) return { ...base, insights: { ok: true, what: 'not read: sync skips it' }, skipped: `${skip.reason}. ${skip.hint}` };
        let insights: DoctorFinding = { ok: true, what: 'insights readable (yesterday, account level)' };
        try {
          await graph.request(`act_${info.accountId}/insights`, { params: { level: 'account', date_preset: 'yesterday', fields: ['spend'], limit: 1 }, tokens: info.tokens });
        } catch (err) {
          insights = finding(asConnectorError(err), 'insights not readable');
        }
        return { ...base, insights, skipped: null };
      }),
    ),
  );
  report.accounts.sort((a, b) => a.account_id.localeCompare(b.account_id));
}

function finish(report: DoctorReport, source: SettingsSource): DoctorReport {
  const problems = [...report.config, ...(report.state_file?.findings ?? []), ...report.tokens.flatMap((t) => (t.problem ? [t.problem] : [])), ...report.discovery, ...report.accounts.map((a) => a.insights)].filter((p) => !p.ok);
  for (const p of problems) if (p.fix) p.fix = tapSettingsFor(p.fix, source);
  report.exit_code = exitCodeOf(problems);
  const steps = new Set(problems.map((p) => p.fix).filter((f): f is string => !!f));
  for (const t of report.tokens) for (const w of t.warnings) steps.add(`${w}.`);
  const unknown = report.state_file?.unknown_streams ?? [];
  if (unknown.length) {
    steps.add(
      `State file ${report.state_file!.file} has bookmarks of ${unknown.map((s) => `"${s}"`).join(', ')}, which this config does not read: kept, not read. If one is a stream of ours under an old or misspelled name, rename its key, or that stream re-reads from start_date.`,
    );
  }
  for (const a of report.accounts) {
    if (a.skipped) steps.add(a.skipped);
    else if (a.account_status !== null && a.account_status !== 1) {
      const what = UNSYNCED_ACCOUNT_STATUSES.has(a.account_status) ? 'sync lists it in ad_accounts but reads nothing from it (sync_log: skipped)' : 'it may deliver little or no new spend';
      steps.add(`act_${a.account_id} is ${accountStatusName(a.account_status)}: ${what}.`);
    }
  }
  if (report.tokens.length && report.tokens.every((t) => t.valid) && report.accounts.length === 0 && report.config.every((c) => c.ok)) {
    steps.add(`No token reaches an ad account: assign the ad accounts to the (system) user behind the token in ${assignPeoplePath('Ad accounts')}.`);
  }
  report.next_steps = [...steps].map((s) => tapSettingsFor(s, source));
  if (report.next_steps.length === 0) report.next_steps.push('Everything checks out: run `fb-ads-elt sync --config … --target-config … --state-file …`.');
  return report;
}

/** The report for a terminal: one line per check, ✔/✘, then what to do next. */
export function formatDoctor(r: DoctorReport): string {
  const mark = (ok: boolean): string => (ok ? '✔' : '✘');
  const lines = ['fb-ads-elt doctor', '', 'Configuration'];
  for (const c of r.config) lines.push(`  ${mark(c.ok)} ${c.what}`);
  if (r.state_file) {
    lines.push('', 'State file');
    for (const f of r.state_file.findings) lines.push(`  ${mark(f.ok)} ${f.what}`);
    for (const [stream, ids] of Object.entries(r.state_file.bookmarks)) {
      const shown = ids.slice(0, 5).map((id) => `act_${id}`);
      lines.push(`    ${stream}: ${ids.length} account(s)${ids.length ? ` (${shown.join(', ')}${ids.length > shown.length ? ', …' : ''})` : ''}${r.state_file.unknown_streams.includes(stream) ? ' — not a stream this config reads' : ''}`);
    }
  }
  if (r.tokens.length) lines.push('', 'Tokens (debug_token)');
  for (const t of r.tokens) {
    const expiry = t.valid ? `${t.expires_at ? `expires ${t.expires_at}` : 'never expires'}${t.data_access_expires_at ? `, data access until ${t.data_access_expires_at}` : ''}` : (t.problem?.what ?? 'not valid');
    lines.push(`  ${mark(t.valid)} ${t.label}${t.type ? ` (${t.type})` : ''}: ${t.valid ? `scopes ${t.scopes.join(', ') || 'none'}; ${expiry}` : expiry}`);
  }
  if (r.tokens.some((t) => t.valid)) lines.push('', `Ad accounts (${r.accounts.length} reachable)`);
  for (const a of r.accounts) {
    const status = a.account_status !== null && a.account_status !== 1 ? `, ${accountStatusName(a.account_status)}` : '';
    const note = a.skipped ? ' — skipped by sync (see next steps)' : a.insights.ok ? '' : ` — ${a.insights.what}`;
    lines.push(`  ${a.skipped ? '–' : mark(a.insights.ok)} act_${a.account_id} ${a.name ?? ''} (${a.currency ?? '?'}, ${a.timezone}${status}) via ${a.tokens.join(', ')}${note}`);
  }
  for (const d of r.discovery) lines.push(`  ${mark(d.ok)} ${d.what}`);
  lines.push('', 'Next steps');
  for (const s of r.next_steps) lines.push(`  - ${s}`);
  return lines.join('\n') + '\n';
}
