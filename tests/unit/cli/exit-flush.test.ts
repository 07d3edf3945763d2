// Issue 17: runCli used to exit while stdout (a socket made by spawn) still held queued writes
// below the high-water mark (writableNeedDrain false), so a reader that was behind lost the last
// lines. A child that writes through the real runCli + SingerWriter, read late, must deliver all.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';

const CHILD = (runTs: string, writerTs: string): string => `
import { runCli } from ${JSON.stringify(runTs)};
import { SingerWriter } from ${JSON.stringify(writerTs)};
await runCli('probe', async () => {
  const out = new SingerWriter(process.stdout);
  const pad = 'x'.repeat(1000);
  let i = 0;
  // Fill the OS buffer until writes start to queue in the process (the reader is not reading)...
  while (process.stdout.writableLength === 0) await out.write({ type: 'RECORD', stream: 's', record: { i: i++, pad } });
  // ...then a few small lines: queued, never enough to set writableNeedDrain.
  for (let k = 0; k < 10; k++) await out.write({ type: 'RECORD', stream: 's', record: { i: i++ } });
  await out.flush();
  process.stderr.write(JSON.stringify({ written: i }) + '\\n');
  return 5;
});
`;

/** Reads nothing until the child says it is done writing (so its last lines are queued when it ends), then everything. */
function runLateReader(script: string): Promise<{ lines: string[]; written: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let written = -1;
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /\{"written":(\d+)\}/.exec(err);
      if (m && written < 0) {
        written = Number(m[1]);
        setTimeout(() => child.stdout.resume(), 200);
      }
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines: text.split('\n').filter((l) => l !== ''), written, code }));
  });
}

describe('runCli exit with a reader that is behind', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'exit-flush-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every line written before the exit, ending with the last one, and keeps the exit code', async () => {
    const script = path.join(dir, 'child.mts');
    writeFileSync(script, CHILD(path.join(REPO_ROOT, 'connector/cli/run.ts'), path.join(REPO_ROOT, 'connector/singer/writer.ts')));
    const r = await runLateReader(script);
    expect(r.code).to.equal(5);
    expect(r.written).to.be.greaterThan(10);
    expect(r.lines).to.have.length(r.written);
    expect(JSON.parse(r.lines[r.written - 1]!)).to.deep.include({ record: { i: r.written - 1 } });
  });
});
