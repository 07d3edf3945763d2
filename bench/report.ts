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

/** Which run produced a section: every section of RESULTS.md says it, as sections of several runs can sit side by side. */
export interface RunInfo {
  command: string;
  date: string;
  /** The commit the bench ran at (bench/machine.ts describeCommit). */
  commit: string;
  mode: 'quick' | 'full';
}

export interface Results {
  run: RunInfo;
  machine: Machine;
  /** Every scenario in report order; `sections` undefined = not run this time (an earlier run's are kept). */
  scenarios: Array<{ name: string; sections: Section[] | undefined }>;
  totalSeconds: number;
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

const renderRow = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;

export function renderTable(t: Table): string {
  return [renderRow(t.head), `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map(renderRow)].join('\n');
}

const verdict = (c: TargetCheck): string => (c.met === undefined ? 'not measured' : c.met ? 'met' : '**missed**');

/** The line after a section's heading that names its scenario; how a later `--only` run finds it. */
const scenarioMarker = (name: string): string => `<!-- bench:scenario=${name} -->`;
const MARKER = /^<!-- bench:scenario=([a-z-]+) -->$/;
const GLANCE = 'Targets at a glance';
const when = (date: string): string => `${date.slice(0, 16).replace('T', ' ')} UTC`;
/** Heading of the stand-in for a scenario no run in the file measured (re-made each time, never "kept"). */
const placeholderTitle = (name: string): string => `Scenario \`${name}\`: not measured`;

/** RESULTS.md as an earlier run left it: per scenario its sections' Markdown, the glance rows, and hand-written appendices. */
export interface ResultsFile {
  /** Scenario name → its measured sections, each `{ title, text }` verbatim from its heading on. */
  sections: Map<string, Array<{ title: string; text: string }>>;
  /** Rows of the "Targets at a glance" table, verbatim. */
  glance: string[];
  /** Sections no scenario wrote (no marker): kept verbatim at the end. */
  appendix: string[];
}

/** Splits RESULTS.md at its `## ` headings and sorts each part by the scenario marker under its heading. */
export function parseResults(md: string): ResultsFile {
  const parsed: ResultsFile = { sections: new Map(), glance: [], appendix: [] };
  const parts = md.split(/^(?=## )/m).slice(1);
  for (const part of parts) {
    const lines = part.replace(/\s+$/, '').split('\n');
    const title = lines[0]!.slice(3).trim();
    const scenario = MARKER.exec(lines[1] ?? '')?.[1];
    const text = lines.join('\n');
    if (title === GLANCE) parsed.glance = lines.filter((l) => l.startsWith('| ')).slice(1);
    else if (scenario === undefined) parsed.appendix.push(text);
    else if (title !== placeholderTitle(scenario)) parsed.sections.set(scenario, [...(parsed.sections.get(scenario) ?? []), { title, text }]);
  }
  return parsed;
}

function renderSection(s: Section, scenario: string, run: RunInfo, load: string): string {
  const out: string[] = [`## ${s.title}`, scenarioMarker(scenario), ''];
  out.push(`_Run: \`${run.command}\` (${run.mode} mode), ${run.date}, commit ${run.commit}, load average ${load}._`, '');
  out.push(s.setup, '');
  for (const t of s.tables) out.push(renderTable(t), '');
  const missed = s.checks.filter((c) => c.met !== true && c.why);
  for (const c of missed) {
    out.push(`**${c.met === undefined ? 'Not measured' : 'Missed'}: ${c.target}** (measured: ${c.measured}).`, '');
    out.push(`- Why: ${c.why}`, `- What would close it: ${c.close ?? 'n/a'}`, '');
  }
  for (const n of s.notes) out.push(`- ${n}`);
  if (s.notes.length) out.push('');
  if (s.findings?.length) {
    out.push('Performance findings in other parts (reported, not fixed here):', '');
    for (const f of s.findings) out.push(`- ${f}`);
    out.push('');
  }
  out.push(`_Scenario time: ${fmtMs(s.seconds * 1000)}._`);
  return out.join('\n');
}

/**
 * RESULTS.md: this run's sections, and for every scenario it did not run the sections `previous`
 * (the file as an earlier run left it) has for it, verbatim with their own run line, so a focused
 * `--only` run replaces its own figures and nothing else.
 */
export function renderResults(r: Results, previous?: ResultsFile): string {
  const blocks: string[] = [];
  const glance: string[] = [];
  const fresh: string[] = [];
  const kept: string[] = [];
  for (const sc of r.scenarios) {
    if (sc.sections) {
      for (const s of sc.sections) {
        fresh.push(s.title);
        blocks.push(renderSection(s, sc.name, r.run, r.machine.load));
        for (const c of s.checks) glance.push(renderRow([s.title, c.target, c.measured, verdict(c), when(r.run.date)]));
      }
      continue;
    }
    const old = previous?.sections.get(sc.name) ?? [];
    for (const o of old) {
      kept.push(o.title);
      blocks.push(o.text);
      glance.push(...(previous?.glance ?? []).filter((row) => row.startsWith(`| ${cell(o.title)} |`)));
    }
    if (!old.length) blocks.push([`## ${placeholderTitle(sc.name)}`, scenarioMarker(sc.name), '', `Not measured by any run this file keeps; produced by \`npm run bench -- --only ${sc.name}\`.`].join('\n'));
  }
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push('Produced by `bench/run.ts`. Each section names the run that produced it (command, date, commit,');
  out.push("load average): a run with `--only` replaces its own scenarios' sections and keeps the others.");
  out.push('Figures are given beside a baseline measured in the same run, because this machine is shared and');
  out.push('noisy: compare ratios across machines, not absolute times.', '');
  out.push(`- Latest run: \`${r.run.command}\` (${r.run.mode} mode), ${r.run.date}, commit ${r.run.commit}`);
  out.push(`- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${fmtBytes(r.machine.ramBytes)} RAM, ${r.machine.os}, Node ${r.machine.node}`);
  out.push(`- Load average when the bench started: ${r.machine.load}`);
  out.push(`- Total bench time: ${fmtMs(r.totalSeconds * 1000)}`);
  out.push(`- Sections from this run: ${fresh.length ? fresh.join('; ') : 'none'}`);
  if (kept.length) out.push(`- Sections kept from earlier runs (each says which): ${kept.join('; ')}`);
  out.push('');
  if (glance.length) {
    out.push(`## ${GLANCE}`, '');
    out.push(renderTable({ head: ['scenario', 'target', 'measured', 'verdict', 'run'], rows: [] }), ...glance, '');
  }
  for (const b of [...blocks, ...(previous?.appendix ?? [])]) out.push(b, '');
  return out.join('\n');
}
