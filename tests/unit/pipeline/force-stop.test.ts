import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { killGroups } from '../../../connector/pipeline/force-stop.js';

/** True while a process with this pid runs: exists and is not a zombie left for its reaper. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function firstLine(child: ChildProcess): Promise<string> {
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return chunk.toString().trim();
}

describe('killGroups: the third Ctrl-C of a sync', () => {
  it('kills each child with its whole process group and resolves once they have exited, with no pid left', async () => {
    // A detached shell (a group of its own, as sync starts the tap and the target) with a grandchild.
    const child = spawn('sh', ['-c', 'sleep 60 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = Number(await firstLine(child));
    expect(alive(grandchild)).to.equal(true);
    const left = await killGroups([child]);
    expect(left).to.deep.equal([]);
    expect(child.signalCode).to.equal('SIGKILL');
    // The grandchild was in the group: killed too (its reaper may be slow, so wait for it briefly).
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(grandchild)).to.equal(false);
  });

  it('skips a child that has already exited', async () => {
    const child = spawn('true', [], { detached: true, stdio: 'ignore' });
    await once(child, 'exit');
    expect(await killGroups([child])).to.deep.equal([]);
  });

  it('returns the pid of a child still running when the wait ends, instead of waiting for ever', async () => {
    // Not detached: it has no process group of its own to kill, so it outlives the kill.
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      expect(await killGroups([child], 200)).to.deep.equal([child.pid]);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
});
