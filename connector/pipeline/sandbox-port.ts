// Starts the Graph sandbox (connector/sandbox) for the demo and the end-to-end tests. Imported
// lazily so `sync` and `serve` never load the fake world.
import type { Sandbox, SandboxOptions } from '../sandbox/index.js';

export type { Sandbox, SandboxOptions };

export async function startGraphSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const { startSandbox } = await import('../sandbox/index.js');
  return startSandbox(opts);
}
