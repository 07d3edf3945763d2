// Drives `tap-facebook-ads --config` against an in-process sandbox as a child process: writes the
// config (and state), counts RECORD lines, keeps the last STATE, and takes the sandbox's own
// stats (calls, throttles, jobs) for exactly this run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../connector/core/config.js';
import type { Sandbox, SandboxStats } from '../connector/sandbox/index.js';
import { runChild, type ChildRun } from './proc.js';
import { nowEnv } from '../connector/core/clock.js';
import { nodeCommand } from '../connector/cli/node-flags.js';

export interface TapRun {
  run: ChildRun;
  stats: SandboxStats;
  records: number;
  recordsByStream: Record<string, number>;
  lastState: Record<string, unknown> | undefined;
  /** CPU the bench process spent meanwhile: the in-process sandbox serving this run. */
  sandboxCpuSeconds: number;
}

export interface TapRunOptions {
  dir: string;
  name: string;
  config: Record<string, unknown>;
  state?: Record<string, unknown>;
  args?: string[];
  timeoutMs?: number;
  /** Keep the tap's Singer output in this file (a target loads it next). */
  stdoutFile?: string;
  /** Run `node <bin>` without the V8 flags of the bin's shebang (the bench's before/after of those flags). */
  withoutNodeFlags?: boolean;
}

const TAP_BIN = join(REPO_ROOT, 'bin/tap-facebook-ads.js');
/** How the tap is started everywhere (its shebang's flags, connector/cli/node-flags.ts), or plain `node <bin>`. */
function tapCommand(plain?: boolean): { node: string; args: string[] } {
  const [node = process.execPath, ...args] = plain ? [process.execPath, TAP_BIN] : nodeCommand(TAP_BIN);
  return { node, args };
}

/** Ad accounts the sandbox's tokens reach, in world order (the bench slices this list). */
export function reachableAccounts(sb: Sandbox, labels?: string[]): string[] {
  const users = new Set(sb.tokens.filter((t) => !labels || labels.includes(t.label)).map((t) => t.userId));
  const reach = new Set(sb.world.users.filter((u) => users.has(u.id)).flatMap((u) => u.accountIds));
  return sb.world.accounts.map((a) => a.accountId).filter((id) => reach.has(id));
}

export function tokensConfig(sb: Sandbox, labels?: string[]): Array<{ label: string; token: string }> {
  return sb.tokens.filter((t) => !labels || labels.includes(t.label)).map((t) => ({ label: t.label, token: t.token }));
}

const STREAM_RE = /^\{"type":"RECORD","stream":"([^"]+)"/;

export async function runTap(sb: Sandbox, o: TapRunOptions): Promise<TapRun> {
  const cfg = join(o.dir, `${o.name}.config.json`);
  writeFileSync(cfg, JSON.stringify(o.config));
  const { node, args: nodeArgs } = tapCommand(o.withoutNodeFlags);
  const args = [...nodeArgs, '--config', cfg, ...(o.args ?? [])];
  if (o.state) {
    const st = join(o.dir, `${o.name}.state.json`);
    writeFileSync(st, JSON.stringify(o.state));
    args.push('--state', st);
  }
  sb.resetStats();
  // Budgets regained between runs: each run starts from a cold account, as a daily cron run would.
  sb.advanceTime(3600);
  let records = 0;
  const recordsByStream: Record<string, number> = {};
  let lastState: string | undefined;
  const cpu0 = process.cpuUsage();
  const run = await runChild(node, {
    args,
    cwd: REPO_ROOT,
    // The tap runs on the sandbox's clock, so its "today" is the world's (core/clock.ts).
    env: { ...process.env, LOG_LEVEL: 'info', ...nowEnv(sb.now()) },
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.stdoutFile ? { stdoutFile: o.stdoutFile } : {}),
    onLine: (line) => {
      const m = STREAM_RE.exec(line);
      if (m) {
        records++;
        recordsByStream[m[1]!] = (recordsByStream[m[1]!] ?? 0) + 1;
      } else if (line.startsWith('{"type":"STATE"')) lastState = line;
    },
  });
  const cpu = process.cpuUsage(cpu0);
  const stats = sb.stats();
  if (run.code !== 0) throw new Error(`tap ${o.name} exited ${run.code ?? run.signal}: ${run.stderr.slice(-3000)}`);
  const value = lastState ? ((JSON.parse(lastState) as { value?: Record<string, unknown> }).value ?? undefined) : undefined;
  return { run, stats, records, recordsByStream, lastState: value, sandboxCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Wall time of `tap-facebook-ads --discover` (no API calls): Node + module loading, paid by every run. */
export async function tapStartupMs(dir: string, config: Record<string, unknown>): Promise<number> {
  const cfg = join(dir, 'startup.config.json');
  writeFileSync(cfg, JSON.stringify(config));
  const { node, args } = tapCommand();
  const r = await runChild(node, { args: [...args, '--config', cfg, '--discover'], cwd: REPO_ROOT, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`tap --discover exited ${r.code}: ${r.stderr.slice(-1000)}`);
  return r.wallMs;
}
