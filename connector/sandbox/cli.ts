// `fb-ads-elt sandbox`: runs the Graph API sandbox in its own process, prints ONE JSON line
// (base_url, api_version, tokens) on stdout and serves until SIGTERM/SIGINT. This module only
// declares the command: the sandbox itself loads when the command runs (never on a bin's start path).
import type { Command } from 'commander';
import { NOW_ENV, runClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { FaultSpec } from './faults.js';
import type { SandboxOptions } from './index.js';
import type { WorldName } from './world.js';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

async function parseFaults(specs: string[]): Promise<FaultSpec[]> {
  const { parseFaultSpec } = await import('./faults.js');
  return specs.map((v) => {
    try {
      return parseFaultSpec(JSON.parse(v));
    } catch (err) {
      throw new ConfigError(`--fault ${v}: ${(err as Error).message}`, { hint: 'Example: --fault \'{"kind":"throttle","code":80000,"times":2}\'' });
    }
  });
}

/** The command's options, as commander parses them. */
export interface SandboxCommandOptions {
  port: number;
  host: string;
  seed: number;
  world: string;
  today?: string;
  latencyMs: number;
  jobDurationMs?: number;
  appSecret?: string;
  rateLimits: boolean;
  fault: string[];
}

/**
 * What the command starts. Its Date header stays at the world clock, unlike the demo's (liveDate):
 * README pins each tap run to the `now` printed here, minutes or hours after the sandbox started,
 * and a Date moving on from the sandbox's start would be that far ahead of such a tap (a false
 * clock-skew warning advising NTP) while the world's days, which never move by themselves, stay
 * behind. Only a single tap run longer than the tap's 300 s margin sees this Date fall behind it.
 */
export function sandboxCommandOptions(o: Omit<SandboxCommandOptions, 'fault'>): SandboxOptions {
  return {
    port: o.port,
    host: o.host,
    seed: o.seed,
    world: o.world as WorldName,
    latencyMs: o.latencyMs,
    rateLimits: o.rateLimits,
    ...(o.today !== undefined ? { today: o.today } : { now: runClock()() }),
    ...(o.jobDurationMs !== undefined ? { jobDurationMs: o.jobDurationMs } : {}),
    ...(o.appSecret !== undefined ? { appSecret: o.appSecret } : {}),
  };
}

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('serve a fake Meta Marketing API (Graph) on loopback for tests and demos')
    .option('--port <n>', 'port (0 = ephemeral)', int('port'), 0)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--seed <n>', 'world seed', int('seed'), 1)
    .option('--world <name>', 'small | demo | large', 'small')
    .option('--today <day>', `pin the world clock to noon UTC of this day (YYYY-MM-DD); default: now (${NOW_ENV} or the system clock)`)
    .option('--latency-ms <n>', 'added latency per request', int('latency-ms'), 0)
    .option('--job-duration-ms <n>', 'time an async report run takes to complete', int('job-duration-ms'))
    .option('--app-secret <secret>', 'require and verify appsecret_proof')
    .option('--no-rate-limits', 'disable call budgets')
    .option('--fault <json>', 'fault spec as JSON (repeatable)', collect, [] as string[])
    .action(async (o: SandboxCommandOptions) => {
      if (!['small', 'demo', 'large'].includes(o.world)) throw new ConfigError(`--world must be small, demo or large, got "${o.world}"`);
      if (o.today !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.today)) throw new ConfigError(`--today must be YYYY-MM-DD, got "${o.today}"`);
      const faults = await parseFaults(o.fault);
      // Loaded only when the command runs: the sandbox never sits on the product's start path.
      const { startSandbox } = await import('./index.js');
      const sb = await startSandbox(sandboxCommandOptions(o));
      for (const f of faults) sb.faults.add(f);
      // `now` is the world clock: run the tap with FB_ADS_ELT_NOW=<now> so its "today" is the world's.
      process.stdout.write(`${JSON.stringify({ base_url: sb.baseUrl, api_version: sb.apiVersion, now: sb.now().toISOString(), tokens: sb.tokens.map((t) => ({ label: t.label, token: t.token })) })}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await sb.close();
    });
}
