// The bench's figures and their Markdown: every figure sits beside the baseline it was measured
// against in the same run (a ratio travels between machines, an absolute figure does not), and
// every target says met / missed, and when missed, why and what would close it.

export interface Table {
  head: string[];
  rows: string[][];
}

export interface TargetCheck {
  /** The target as the issue states it, e.g. "≥ 5× faster than the naive baseline". */
  target: string;
  /** What was measured, formatted. */
  measured: string;
  /** undefined = not measured in this run (say why in `why`). */
  met: boolean | undefined;
  why?: string;
  close?: string;
}

export interface Section {
  title: string;
  /** One or two sentences: what ran, on what data, against which baseline. */
  setup: string;
  tables: Table[];
  checks: TargetCheck[];
  notes: string[];
  /** Seconds this scenario took (the whole bench has a 20-minute budget). */
  seconds: number;
  /** Performance problems this scenario exposed in other parts: file, cause, measured effect. */
  findings?: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  ramBytes: number;
  node: string;
  os: string;
  load: string;
}

export interface Results {
  command: string;
  date: string;
  machine: Machine;
  mode: 'quick' | 'full';
  sections: Section[];
  totalSeconds: number;
  /** Performance problems found in other parts (file, cause, measured effect). */
  findings: string[];
}

/** value / baseline, or undefined when the baseline is zero or missing (never Infinity in a report). */
export function ratio(value: number, baseline: number | undefined): number | undefined {
  if (baseline === undefined || !Number.isFinite(baseline) || baseline === 0 || !Number.isFinite(value)) return undefined;
  return value / baseline;
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined) return 'n/a';
  if (r >= 100) return `${Math.round(r)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

/** Thousands separated with a thin space-free comma, at most `digits` decimals. */
export function fmtNum(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b) || b <= 0) return 'n/a';
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(0)} MiB`;
  return `${(b / 1024).toFixed(b < 10 * 1024 ? 1 : 0)} KiB`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

export function check(target: string, measured: string, met: boolean | undefined, miss?: { why: string; close: string }): TargetCheck {
  return { target, measured, met, ...(met === true || !miss ? {} : { why: miss.why, close: miss.close }) };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTable(t: Table): string {
  const lines = [`| ${t.head.map(cell).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

const verdict = (c: TargetCheck): string => (c.met === undefined ? 'not measured' : c.met ? 'met' : '**missed**');

export function renderResults(r: Results): string {
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push('Produced by `bench/run.ts`; every number below comes from the run described here. Figures are');
  out.push('given beside a baseline measured in the same run, because this machine is shared and noisy:');
  out.push('compare ratios across machines, not absolute times.', '');
  out.push(`- Command: \`${r.command}\` (${r.mode} mode)`);
  out.push(`- Date: ${r.date}`);
  out.push(`- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${fmtBytes(r.machine.ramBytes)} RAM, ${r.machine.os}, Node ${r.machine.node}`);
  out.push(`- Load average when the bench started: ${r.machine.load}`);
  out.push(`- Total bench time: ${fmtMs(r.totalSeconds * 1000)}`, '');
  const all = r.sections.flatMap((s) => s.checks.map((c) => ({ s, c })));
  if (all.length) {
    out.push('## Targets at a glance', '');
    out.push(renderTable({ head: ['scenario', 'target', 'measured', 'verdict'], rows: all.map(({ s, c }) => [s.title, c.target, c.measured, verdict(c)]) }), '');
  }
  for (const s of r.sections) {
    out.push(`## ${s.title}`, '', s.setup, '');
    for (const t of s.tables) out.push(renderTable(t), '');
    const missed = s.checks.filter((c) => c.met !== true && c.why);
    for (const c of missed) {
      out.push(`**${c.met === undefined ? 'Not measured' : 'Missed'}: ${c.target}** (measured: ${c.measured}).`, '');
      out.push(`- Why: ${c.why}`, `- What would close it: ${c.close ?? 'n/a'}`, '');
    }
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length) out.push('');
    out.push(`_Scenario time: ${fmtMs(s.seconds * 1000)}._`, '');
  }
  if (r.findings.length) {
    out.push('## Performance findings in other parts (reported, not fixed here)', '');
    for (const f of r.findings) out.push(`- ${f}`);
    out.push('');
  }
  return out.join('\n');
}
