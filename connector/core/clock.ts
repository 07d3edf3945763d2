// The run's one notion of "now". Production reads the system clock; a run can be pinned to another
// instant with FB_ADS_ELT_NOW (what the demo and the tests do, so the tap's "today", the sandbox's
// world and the models agree whatever the machine's date). `fb-ads-elt sync` reads its clock once
// and hands the instant to every child it starts, so one run never straddles two notions of today.
import { parseInstant } from './dates.js';
import { ConfigError } from './errors.js';

/** Returns the current instant. Injected everywhere a date decision is made (design.md §5.9). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Environment variable that pins a run's clock: an RFC 3339 instant, e.g. 2026-11-20T12:00:00Z. */
export const NOW_ENV = 'FB_ADS_ELT_NOW';

// Offset required: an instant without a zone would be read in the machine's zone (the bug class this avoids).
const RFC3339_INSTANT = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A clock that reads `start` when created and then moves on with real elapsed time (monotonic, so
 * durations measured on it stay true and a pinned run still sees time pass).
 */
export function clockStartingAt(start: Date): Clock {
  const origin = performance.now();
  const base = start.getTime();
  return () => new Date(base + Math.round(performance.now() - origin));
}

/** Parses a FB_ADS_ELT_NOW value. Throws ConfigError (exit 2) naming the variable and the format. */
export function parseNow(value: string, source = NOW_ENV): Date {
  const text = value.trim();
  // parseInstant, not Date.parse: Date.parse rolls an impossible day (Feb 30) over into March.
  const ms = RFC3339_INSTANT.test(text) ? parseInstant(text.replace(' ', 'T')) : undefined;
  if (ms === undefined) {
    throw new ConfigError(`${source}="${value}" is not an RFC 3339 instant`, {
      hint: `Use a date-time with a zone, e.g. ${source}=2026-11-20T12:00:00Z, or unset it to use the system clock.`,
    });
  }
  return new Date(ms);
}

/** The clock of this process: pinned by FB_ADS_ELT_NOW when set (non-empty), else the system clock. */
export function runClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const pinned = env[NOW_ENV];
  return pinned !== undefined && pinned.trim() !== '' ? clockStartingAt(parseNow(pinned)) : systemClock;
}

/** Environment entries that pin a child process to `now` (the run's instant). */
export function nowEnv(now: Date): Record<string, string> {
  return { [NOW_ENV]: now.toISOString() };
}
