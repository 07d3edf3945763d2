// Headless Chromium for tests that look at the HTML report as a browser renders it: Debian's
// `chromium` (apt-get install chromium; .ci/run installs it) driven by playwright-core, which
// never downloads a browser. The flags keep Chromium off the network (this closed network
// refuses its background connections) and in a fresh profile every time.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Override with FB_ADS_ELT_CHROMIUM (e.g. Google Chrome on a Mac). */
export const CHROMIUM_PATH = process.env['FB_ADS_ELT_CHROMIUM'] || '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const INSTALL_HINT = `Chromium not found at ${CHROMIUM_PATH}. Install Debian's package: \`sudo apt-get install chromium\` (.ci/run does), or point FB_ADS_ELT_CHROMIUM at a Chrome/Chromium executable. Never \`npx playwright install\`: no browser downloads.`;

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh --user-data-dir (a persistent context on a new temp dir). */
export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'fb-ads-elt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, offline: true });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface RenderedReport {
  width: number;
  consoleErrors: string[];
  scrollWidth: number;
  viewportWidth: number;
  /** Bounding boxes (width × height in CSS px) of every chart and table, in document order. */
  charts: Array<{ id: string; width: number; height: number }>;
  tables: Array<{ id: string; width: number; height: number }>;
  /** The CAC table as shown: month, channel, CAC cell text, and the row's marks. */
  /** monthToDate: the day a month-to-date row runs to ('' before any), null for other months. */
  cacRows: Array<{ month: string; channel: string; cac: string; partial: boolean; missingFx: boolean; coverageGap: string | null; monthToDate: string | null; flagsVisible: boolean }>;
  /** The blended CAC KPI's label as shown. */
  kpiCac: string;
  timeZoneRule: string;
}

// Runs in the page (a string: the project's TypeScript has no DOM types).
const READ_PAGE = `(() => {
  const box = (el, i) => {
    const r = el.getBoundingClientRect();
    return { id: (el.closest('section') && el.closest('section').id) || '#' + i, width: r.width, height: r.height };
  };
  const rule = document.querySelector('#time-zone-rule');
  return {
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    viewportWidth: window.innerWidth,
    charts: [...document.querySelectorAll('svg.chart')].map(box),
    tables: [...document.querySelectorAll('table')].map(box),
    cacRows: [...document.querySelectorAll('#cac tbody tr')].map((tr) => {
      const cells = tr.querySelectorAll('td');
      return {
        month: tr.getAttribute('data-month') || '',
        channel: tr.getAttribute('data-channel') || '',
        cac: cells[4] ? cells[4].textContent.trim() : '',
        partial: tr.getAttribute('data-partial') === 'true',
        missingFx: tr.hasAttribute('data-missing-fx'),
        coverageGap: tr.getAttribute('data-coverage-gap'),
        monthToDate: tr.getAttribute('data-month-to-date'),
        flagsVisible: [...tr.querySelectorAll('.flag')].every((f) => f.getBoundingClientRect().width > 0),
      };
    }),
    kpiCac: ((k) => (k ? k.textContent.trim() : ''))(document.querySelector('#kpi-cac .sub')),
    timeZoneRule: rule ? rule.textContent : '',
  };
})()`;

/** Opens a report file at one viewport width and reads what a reader would see. */
export async function renderAt(browser: Browser, file: string, width: number): Promise<RenderedReport> {
  const page = await browser.context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  try {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`file://${path.resolve(file)}`, { waitUntil: 'load' });
    const seen = (await page.evaluate(READ_PAGE)) as Omit<RenderedReport, 'width' | 'consoleErrors'>;
    return { width, consoleErrors, ...seen };
  } finally {
    await page.close();
  }
}
