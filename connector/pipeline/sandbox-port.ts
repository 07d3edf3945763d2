// The slice of the Graph sandbox (connector/sandbox) the demo and the end-to-end tests use, loaded
// lazily so `sync` and `serve` never load the fake world. Types mirror the sandbox's contract.
import { ConnectorError } from '../core/errors.js';

export interface SandboxTokenInfo {
  label: string;
  token: string;
}
export interface SandboxHandle {
  baseUrl: string;
  apiVersion: string;
  tokens: SandboxTokenInfo[];
  world: { clock: { today: string }; accounts: { accountId: string; currency: { code: string }; timezone: string; name: string }[] };
  expectedInsights(q: { accountId: string; level: 'account' | 'campaign' | 'adset' | 'ad'; since: string; until: string }): Array<Record<string, string>>;
  close(): Promise<void>;
}
export interface SandboxStartOptions {
  seed?: number;
  world?: 'small' | 'demo' | 'large';
  jobDurationMs?: number;
  today?: string;
}

export async function startGraphSandbox(opts: SandboxStartOptions): Promise<SandboxHandle> {
  const specifier = '../sandbox/index.js';
  let mod: { startSandbox?: (o: SandboxStartOptions) => Promise<SandboxHandle> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    throw new ConnectorError('unexpected', `the Graph sandbox cannot be loaded: ${(err as Error).message}`, { hint: 'This build lacks connector/sandbox; update it.' });
  }
  if (typeof mod.startSandbox !== 'function') throw new ConnectorError('unexpected', 'connector/sandbox does not export startSandbox', { hint: 'Update this build.' });
  return mod.startSandbox(opts);
}
