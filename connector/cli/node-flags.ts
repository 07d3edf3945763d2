// The Node/V8 flags a bin asks for on its `#!/usr/bin/env -S node <flags>` line, for whatever starts
// it as `node <bin>` (the sync pipeline, the bench): the shebang stays the one place they are written.
import { readFileSync } from 'node:fs';

const SHEBANG = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=[\w.]+)?)*)\s*$/;

/** Flags of a bin's shebang line; [] for a plain `#!/usr/bin/env node`. */
export function binNodeFlags(binFile: string): string[] {
  const first = readFileSync(binFile, 'utf8').split('\n', 1)[0] ?? '';
  const m = SHEBANG.exec(first);
  return m?.[1] ? m[1].trim().split(' ') : [];
}

/** argv that runs a bin with the given Node the way its shebang would. */
export function nodeCommand(binFile: string, node: string = process.execPath): string[] {
  return [node, ...binNodeFlags(binFile), binFile];
}
