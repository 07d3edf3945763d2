// Whether this process can write a file before it tries: the file itself, or else the nearest
// folder that exists (callers that create missing folders, like the target, need only that one).
// One rule for every path a run writes (the warehouse, the state file), checked before the run.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Why `file` cannot be written (a sentence naming the path at fault), or undefined when it can. */
export function whyUnwritable(file: string): string | undefined {
  const abs = path.resolve(file);
  let probe = abs;
  while (!existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  if (probe !== abs && !statSync(probe).isDirectory()) return `${probe} is not a folder`;
  if (probe === abs && statSync(abs).isDirectory()) return 'it is a folder (name the file inside it)';
  try {
    accessSync(probe, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS' ? `${probe} is on a read-only file system` : `no write permission on ${probe} (${code ?? 'error'})`;
  }
}
