// Inline SVG charts for the static report: a multi-line time series, grouped bars and horizontal
// bars. Pure functions from numbers to markup (no DOM, no scripts), so the page works offline and
// the same input always gives the same bytes. Every mark has a <title> for hover and screen readers.

export const PALETTE = ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** "Nice" axis ticks (1, 2, 2.5, 5 × 10^k) covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}B`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}
const trim = (n: number): string => {
  const text = Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
  // Only zeros after the decimal point go ("800" stays "800", "2.50" becomes "2.5").
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
};

const f1 = (n: number): string => (Math.round(n * 10) / 10).toString();

export interface Series {
  name: string;
  points: { x: string; y: number }[];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}
const FRAME: Frame = { width: 760, height: 300, left: 56, right: 16, top: 16, bottom: 40 };

function yAxis(fr: Frame, ticks: number[], yOf: (v: number) => number, unit: string): string {
  return ticks
    .map((t) => {
      const y = f1(yOf(t));
      return `<line x1="${fr.left}" x2="${fr.width - fr.right}" y1="${y}" y2="${y}" class="grid"/><text x="${fr.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${esc(unit + compact(t))}</text>`;
    })
    .join('');
}

function legend(names: string[]): string {
  return `<g class="legend">${names.map((n, i) => `<g transform="translate(${FRAME.left + i * 150},${FRAME.height - 8})"><rect width="10" height="10" y="-9" rx="2" fill="${PALETTE[i % PALETTE.length]}"/><text x="14" class="tick">${esc(n)}</text></g>`).join('')}</g>`;
}

/**
 * Lines over a shared, ordered x axis (dates): opts.xs (every day of the period) plus any x a point
 * has. Missing points count as 0, so a day no series has a point for is a 0, not a day left out.
 */
export function lineChart(series: Series[], opts: { label: string; unit?: string; xs?: string[] }): string {
  const fr = FRAME;
  const xs = [...new Set([...(opts.xs ?? []), ...series.flatMap((s) => s.points.map((p) => p.x))])].sort();
  const max = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? 1;
  const plotW = fr.width - fr.left - fr.right;
  const plotH = fr.height - fr.top - fr.bottom - 14;
  const xOf = (i: number): number => fr.left + (xs.length <= 1 ? plotW / 2 : (i * plotW) / (xs.length - 1));
  const yOf = (v: number): number => fr.top + plotH - (v / top) * plotH;
  const unit = opts.unit ?? '';
  const lines = series
    .map((s, si) => {
      const byX = new Map(s.points.map((p) => [p.x, p.y]));
      const d = xs.map((x, i) => `${i === 0 ? 'M' : 'L'}${f1(xOf(i))},${f1(yOf(byX.get(x) ?? 0))}`).join('');
      return `<path d="${d}" fill="none" stroke="${PALETTE[si % PALETTE.length]}" stroke-width="2" stroke-linejoin="round"><title>${esc(s.name)}</title></path>`;
    })
    .join('');
  const labelEvery = Math.max(1, Math.ceil(xs.length / 8));
  const xLabels = xs.map((x, i) => (i % labelEvery === 0 ? `<text x="${f1(xOf(i))}" y="${fr.top + plotH + 16}" class="tick" text-anchor="middle">${esc(x.slice(5))}</text>` : '')).join('');
  return svg(fr, opts.label, yAxis(fr, ticks, yOf, unit) + xLabels + lines + legend(series.map((s) => s.name)));
}

export interface BarGroup {
  label: string;
  bars: { name: string; value: number | null }[];
}

/** Vertical bars grouped by label (months), one colour per bar name (channel). null = no value. */
export function groupedBarChart(groups: BarGroup[], opts: { label: string; unit?: string }): string {
  const fr = FRAME;
  const names = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const max = Math.max(0, ...groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? 1;
  const plotW = fr.width - fr.left - fr.right;
  const plotH = fr.height - fr.top - fr.bottom - 14;
  const yOf = (v: number): number => fr.top + plotH - (v / top) * plotH;
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.max(2, Math.min(28, (groupW * 0.8) / Math.max(1, names.length)));
  const unit = opts.unit ?? '';
  const bars = groups
    .map((g, gi) => {
      const x0 = fr.left + gi * groupW + (groupW - barW * names.length) / 2;
      const rects = names
        .map((n, ni) => {
          const v = g.bars.find((b) => b.name === n)?.value;
          if (v === null || v === undefined) return '';
          const y = yOf(v);
          return `<rect x="${f1(x0 + ni * barW)}" y="${f1(y)}" width="${f1(barW - 1)}" height="${f1(fr.top + plotH - y)}" fill="${PALETTE[ni % PALETTE.length]}"><title>${esc(`${g.label} · ${n}: ${unit}${v.toFixed(2)}`)}</title></rect>`;
        })
        .join('');
      return rects + `<text x="${f1(fr.left + gi * groupW + groupW / 2)}" y="${fr.top + plotH + 16}" class="tick" text-anchor="middle">${esc(g.label)}</text>`;
    })
    .join('');
  return svg(fr, opts.label, yAxis(fr, ticks, yOf, unit) + bars + legend(names));
}

/** Horizontal bars, largest first as given (top-N lists). */
export function hBarChart(items: { label: string; value: number }[], opts: { label: string; unit?: string }): string {
  const rowH = 24;
  const fr: Frame = { width: 760, height: 24 + items.length * rowH, left: 260, right: 80, top: 8, bottom: 8 };
  const max = Math.max(0, ...items.map((i) => i.value)) || 1;
  const plotW = fr.width - fr.left - fr.right;
  const unit = opts.unit ?? '';
  const rows = items
    .map((it, i) => {
      const y = fr.top + i * rowH;
      const w = (it.value / max) * plotW;
      const label = it.label.length > 38 ? it.label.slice(0, 37) + '…' : it.label;
      return `<text x="${fr.left - 8}" y="${y + rowH / 2}" class="tick" text-anchor="end" dominant-baseline="middle">${esc(label)}</text><rect x="${fr.left}" y="${y + 4}" width="${f1(Math.max(1, w))}" height="${rowH - 8}" rx="2" fill="${PALETTE[0]}"><title>${esc(`${it.label}: ${unit}${it.value.toFixed(2)}`)}</title></rect><text x="${f1(fr.left + w + 6)}" y="${y + rowH / 2}" class="tick" dominant-baseline="middle">${esc(unit + compact(it.value))}</text>`;
    })
    .join('');
  return svg(fr, opts.label, rows);
}

function svg(fr: Frame, label: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${fr.width} ${fr.height}" role="img" aria-label="${esc(label)}" class="chart"><title>${esc(label)}</title>${body}</svg>`;
}
