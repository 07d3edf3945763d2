// Start-up of each bin: `--version` run N times from the compiled build (as installed bins run,
// with their shebang's flags), median wall time; the same from the TypeScript sources through tsx
// (FB_ADS_ELT_FROM_SOURCE=1) is the baseline. Which modules load on that path is a test
// (tests/unit/cli/start-path.test.ts), not a figure.
import { join } from 'node:path';
import { nodeCommand } from '../../connector/cli/node-flags.js';
import { REPO_ROOT } from '../../connector/core/config.js';
import { runChild } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtRatio, ratio, type Section } from '../report.js';

export const BINS = ['tap-facebook-ads', 'target-bigquery', 'fb-ads-elt'] as const;
/** The ceiling for `--version`. */
export const STARTUP_TARGET_MS = 300;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function versionRuns(bin: string, n: number, fromSource: boolean): Promise<{ wall: number[]; rss: number[]; cpu: number[] }> {
  const [node = process.execPath, ...args] = nodeCommand(join(REPO_ROOT, 'bin', `${bin}.js`));
  const out = { wall: [] as number[], rss: [] as number[], cpu: [] as number[] };
  for (let i = 0; i < n; i++) {
    const r = await runChild(node, { args: [...args, '--version'], cwd: REPO_ROOT, env: { ...process.env, FB_ADS_ELT_FROM_SOURCE: fromSource ? '1' : '' }, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`${bin} --version exited ${r.code}: ${r.stderr.slice(-500)}`);
    out.wall.push(r.wallMs);
    out.rss.push(r.peakRssBytes);
    if (r.cpuSeconds !== undefined) out.cpu.push(r.cpuSeconds * 1000);
  }
  return out;
}

export async function startupBench(o: { runs: number; sourceRuns: number }): Promise<Section> {
  const started = performance.now();
  const rows: string[][] = [];
  const checks = [];
  for (const bin of BINS) {
    const built = await versionRuns(bin, o.runs, false);
    const source = await versionRuns(bin, o.sourceRuns, true);
    const m = median(built.wall);
    rows.push([bin, fmtMs(m), `${fmtMs(Math.min(...built.wall))} – ${fmtMs(Math.max(...built.wall))}`, built.cpu.length ? fmtMs(median(built.cpu)) : 'n/a', fmtBytes(median(built.rss)), fmtMs(median(source.wall)), fmtRatio(ratio(m, median(source.wall)))]);
    checks.push(
      check(`${bin} --version ≤ ${STARTUP_TARGET_MS} ms`, `${fmtMs(m)} (median of ${o.runs})`, m <= STARTUP_TARGET_MS, {
        why: 'the process start includes Node itself (~40 ms here) plus the modules the entry point imports before it parses arguments; on a loaded machine the wall time stretches',
        close: 'load less before argument parsing (tests/unit/cli/start-path.test.ts lists what loads).',
      }),
    );
  }
  return {
    title: "Start-up: each bin's --version",
    setup: `Each bin run ${o.runs} times with \`--version\` from the compiled build in dist/ (\`npm run build\`; the tap with its shebang's V8 flags), then ${o.sourceRuns} times from the TypeScript sources through tsx (FB_ADS_ELT_FROM_SOURCE=1, what every run cost before the build step). Wall time from spawn to exit, including GNU time's own start.`,
    tables: [{ head: ['bin', 'median wall (build)', 'range', 'median CPU (user + sys)', 'median peak RSS', 'median wall (sources via tsx)', 'build ÷ sources'], rows }],
    checks,
    notes: [
      'On a loaded machine the wall time stretches (see the load average above) while the CPU time does not: the CPU column is the figure to compare across runs.',
      'Nothing of the sandbox, the demo, the report, the dbt runner, tests or the bench loads on these paths: tests/unit/cli/start-path.test.ts records every module each bin loads and fails otherwise.',
    ],
    seconds: (performance.now() - started) / 1000,
  };
}
