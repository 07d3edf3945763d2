// The Node/V8 flags a bin asks for on its `#!/usr/bin/env -S [NAME=value ...] node <flags>` line, and
// the environment variables set before Node, for whatever starts it as `node <bin>` (the sync
// pipeline, the bench): the shebang stays the one place they are written.
import { readFileSync } from 'node:fs';

const ENV = '/usr/bin/env';
const SHEBANG = /^#!\/usr\/bin\/env -S((?: [A-Z_][A-Z0-9_]*=[\w.:]+)*) node((?: --[\w-]+(?:=[\w.]+)?)*)\s*$/;

function shebang(binFile: string): { env: string[]; flags: string[] } {
  const first = readFileSync(binFile, 'utf8').split('\n', 1)[0] ?? '';
  const m = SHEBANG.exec(first);
  const words = (s: string | undefined): string[] => (s ? s.trim().split(' ') : []);
  return { env: words(m?.[1]), flags: words(m?.[2]) };
}

/** Flags of a bin's shebang line; [] for a plain `#!/usr/bin/env node`. */
export function binNodeFlags(binFile: string): string[] {
  return shebang(binFile).flags;
}

/** NAME=value settings a bin's shebang puts in Node's environment (read before Node starts, e.g. by glibc). */
export function binEnv(binFile: string): string[] {
  return shebang(binFile).env;
}

/** argv that runs a bin with the given Node the way its shebang would (through env when it sets variables). */
export function nodeCommand(binFile: string, node: string = process.execPath): string[] {
  const { env, flags } = shebang(binFile);
  return [...(env.length ? [ENV, ...env] : []), node, ...flags, binFile];
}
