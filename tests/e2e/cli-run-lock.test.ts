// Two `fb-ads-elt serve` on one status file, or two `sync` on one state file, would run tap and
// target twice against the same bookmarks and warehouse: the second stops at once with exit 7 and
// names the first; a first one killed with -9 does not block the next start.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../connector/core/config.js';
import { EXIT_CODES } from '../../connector/core/errors.js';

const BIN = path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js');

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

function start(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

/** The last JSON line on stderr: the error runCli writes before exiting. */
const lastError = (r: Run): Record<string, unknown> => JSON.parse(r.stderr().trim().split('\n').pop()!) as Record<string, unknown>;

/** Resolves once a started serve says where it listens (its one stdout line). */
const listening = (r: Run): Promise<string> => new Promise((resolve) => createInterface({ input: r.child.stdout! }).once('line', resolve));

describe('fb-ads-elt serve and sync: one at a time per status or state file (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  let graph: Server;
  let graphUrl: string;
  const running: ChildProcess[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'e2e-run-lock-'));
    // A Graph API that never answers: the first sync stays in its first request, holding its state file.
    graph = createServer(() => undefined);
    await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
    graphUrl = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
    writeFileSync(path.join(dir, 'tap.json'), JSON.stringify({ access_token: 'EAAlocktest' + 'x'.repeat(20), api_base_url: graphUrl, account_ids: ['1001'], start_date: '2026-01-01' }));
    writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ destination: 'duckdb', duckdb_path: 'w.duckdb' }));
    writeFileSync(path.join(dir, 'serve.json'), JSON.stringify({ bearer_secret: 'run-lock-' + 'e5f6'.repeat(6), tap_config: 'tap.json', target_config: 'target.json', state_file: 'state.json', status_file: 'status.json', port: 0 }));
  });
  after(async () => {
    for (const c of running) c.kill('SIGKILL');
    graph?.closeAllConnections();
    await new Promise((r) => graph?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second serve on the same status file with exit 7 naming the first; after kill -9 of the first a new one starts', async () => {
    const serve = ['serve', '--config', path.join(dir, 'serve.json')];
    const first = start(serve);
    running.push(first.child);
    await listening(first);

    const second = start(serve);
    expect(await second.exited, second.stderr()).to.equal(EXIT_CODES.retryLater);
    const error = lastError(second);
    expect(error['msg']).to.match(new RegExp(`^fb-ads-elt serve \\(pid ${first.child.pid}, since .+\\) holds status file ${path.join(dir, 'status.json')}$`));
    expect(error['hint']).to.match(/Only one fb-ads-elt serve may use a status file at a time/);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = start(serve);
    running.push(third.child);
    const line = JSON.parse(await listening(third)) as { port: number };
    expect(line.port).to.be.greaterThan(0);
    third.child.kill('SIGTERM');
    expect(await third.exited, third.stderr()).to.equal(0);
    expect(existsSync(path.join(dir, 'status.json.lock')), 'a stopped serve frees the file').to.equal(false);
  });

  it('refuses a second sync on the same state file with exit 7 before its tap starts, naming the first', async () => {
    const sync = ['sync', '--config', path.join(dir, 'tap.json'), '--target-config', path.join(dir, 'target.json'), '--state-file', path.join(dir, 'state.json')];
    const first = start(sync);
    running.push(first.child);
    // Holding the lock once its tap has called the (silent) Graph API.
    await new Promise<void>((resolve) => graph.once('request', () => resolve()));
    const second = start(sync);
    expect(await second.exited, second.stderr()).to.equal(EXIT_CODES.retryLater);
    expect(lastError(second)['msg']).to.match(new RegExp(`^fb-ads-elt sync \\(pid ${first.child.pid}, since .+\\) holds state file ${path.join(dir, 'state.json')}$`));
    expect(second.stderr(), 'the second started nothing').to.not.include('sync started');
    first.child.kill('SIGTERM');
    expect(await first.exited).to.equal(EXIT_CODES.retryLater);
    expect(first.stderr(), 'what the first logged when it started (the check above looks for it)').to.include('"msg":"sync started"');
    expect(existsSync(path.join(dir, 'state.json.lock')), 'the stopped sync freed the file').to.equal(false);
  });
});
