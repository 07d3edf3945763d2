// The machine a bench ran on, as RESULTS.md reports it: CPU model (from /proc/cpuinfo), cores,
// RAM, OS, Node version and the load average at the start (a busy shared box skews every figure).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Machine } from './report.js';

export function cpuModel(cpuinfo: string): string | undefined {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo) ?? /^(?:Model|Hardware|cpu model)\s*:\s*(.+)$/m.exec(cpuinfo);
  return m?.[1]?.trim();
}

export function describeMachine(): Machine {
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    info = ''; // not Linux: fall back to what Node reports
  }
  return {
    cpu: cpuModel(info) ?? os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.availableParallelism(),
    ramBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load:
      os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ') + ' (1 / 5 / 15 min)',
  };
}
