// Exactly-once under SIGKILL: the real target CLI is killed at random moments of a real run (while
// reading, loading, merging), then restarted from the last STATE it emitted, as an orchestrator
// would. After the final uninterrupted run every table must equal a clean run's, row for row.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { KINDS, openWarehouse, runLoader, stable, DATASET, PROJECT, type Warehouse } from './harness.js';
import { generateLines, positionOf, type GenOptions } from './generate.js';

const GEN: GenOptions = { messages: 9000, stateEvery: 400 };
const BATCH_ROWS = 350;
const KILLS = 10;
const TABLES: [string, string[]][] = [
  ['insights_ad', ['ad_id', 'date_start']],
  ['ads', ['id']],
  ['ads__history', ['id', 'updated_time']],
  ['pixels', ['id']],
];

/** Small seeded PRNG so a failing kill schedule can be replayed (the seed is in the test title). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  lastState: Record<string, unknown> | undefined;
  stderr: string;
}

/** Runs the target CLI on `input`; kills it with SIGKILL after `killAfterMs` if given. */
async function runCli(configFile: string, inputFile: string, killAfterMs?: number): Promise<RunOutcome> {
  const stdin = openSync(inputFile, 'r');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '--config', configFile], {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', LOG_LEVEL: 'warn' },
  });
  closeSync(stdin);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  if (timer) clearTimeout(timer);
  let lastState: Record<string, unknown> | undefined;
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const value = JSON.parse(line) as Record<string, unknown>;
    expect(value, 'stdout carries only state values').to.have.property('bookmarks');
    lastState = value;
  }
  return { code, signal, lastState, stderr: err };
}

for (const kind of KINDS) {
  const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 100000);
  describe(`target-bigquery crash safety on ${kind}`, function () {
    this.timeout(180000);
    let dir: string;
    let clean: Warehouse;
    let crashed: Warehouse;

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'target-crash-'));
      clean = await openWarehouse(kind);
      crashed = await openWarehouse(kind);
    });
    after(async () => {
      await clean?.close();
      await crashed?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`ends with the same rows as a clean run after ${KILLS} SIGKILLs at random points and resumes from the last STATE (seed ${seed})`, async () => {
      const t0 = Date.now();
      const cleanRun = await runLoader(clean, Readable.from([...generateLines(GEN)].map((l) => `${l}\n`)), { batch_rows: BATCH_ROWS });
      expect(cleanRun.error).to.equal(undefined);
      const cleanMs = Date.now() - t0;

      const configFile = path.join(dir, 'config.json');
      const config = kind === 'duckdb' ? { duckdb_path: crashed.duckdbPath, dataset: DATASET, batch_rows: BATCH_ROWS, temp_dir: dir } : { destination: 'bigquery', project_id: PROJECT, dataset: DATASET, api_endpoint: crashed.emulator!.url, batch_rows: BATCH_ROWS, temp_dir: dir };
      writeFileSync(configFile, JSON.stringify(config));
      const inputFile = path.join(dir, 'input.jsonl');
      let state: Record<string, unknown> | undefined;
      const writeInput = (): void => writeFileSync(inputFile, [...generateLines(GEN, positionOf(state))].join('\n') + '\n');

      // Calibrate start-up time with a run that only sees the SCHEMAs (it creates the tables).
      writeFileSync(inputFile, [...generateLines({ ...GEN, messages: 0 })].join('\n') + '\n');
      const s0 = Date.now();
      const warm = await runCli(configFile, inputFile);
      expect(warm.code, warm.stderr).to.equal(0);
      const startupMs = Date.now() - s0;

      // Each kill lands at a random moment of the run's expected duration: during start-up,
      // reading, a load or a MERGE; the next run resumes from the last STATE the killed one emitted.
      const rand = prng(seed);
      const positions: number[] = [];
      let kills = 0;
      while (kills < KILLS) {
        writeInput();
        const remaining = (GEN.messages - positionOf(state)) / GEN.messages;
        const expected = startupMs + cleanMs * remaining * 1.5;
        const r = await runCli(configFile, inputFile, Math.floor(expected * (0.15 + 0.8 * rand())));
        if (r.signal === 'SIGKILL') kills++;
        else expect(r.code, r.stderr).to.equal(0);
        state = r.lastState ?? state;
        positions.push(positionOf(state));
        if (positions.length > KILLS * 3) break;
      }
      // Final run from the last emitted STATE, uninterrupted.
      writeInput();
      const final = await runCli(configFile, inputFile);
      expect(final.code, final.stderr).to.equal(0);
      expect(kills, `positions reached: ${positions.join(', ')}`).to.be.at.least(KILLS);
      if (positionOf(state) < GEN.messages) expect(positionOf(final.lastState)).to.equal(GEN.messages);

      for (const [table, keys] of TABLES) {
        const a = stable(await clean.rows(table, keys));
        const b = stable(await crashed.rows(table, keys));
        expect(b.length, table).to.equal(a.length);
        expect(b, table).to.deep.equal(a);
      }
      expect((await clean.rows('insights_ad')).length).to.be.greaterThan(1000);
      expect((await clean.rows('ads__history')).length).to.be.greaterThan(1000);
      expect((await clean.rows('pixels')).filter((r) => r['_sdc_deleted_at'] !== null).length).to.equal(2);
    });
  });
}
