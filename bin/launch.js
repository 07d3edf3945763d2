// Shared launcher of the three bins. Runs the compiled JavaScript in dist/ (built by `npm run build`,
// which `npm ci` and `npm install` run through the `prepare` script); when dist/ is missing or older
// than any TypeScript source (a source checkout being edited), it runs the sources through tsx
// instead, so a stale build can never run in place of the code being tested.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');

/** Newest modification time (ms) of the .ts files under dir; ~1 ms for the connector tree. */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (!existsSync(STAMP)) return false;
  // Installed without sources (a packed build): nothing to compare against.
  if (!existsSync(path.join(ROOT, 'connector'))) return true;
  return statSync(STAMP).mtimeMs >= newestSource(path.join(ROOT, 'connector'));
}

/** Runs connector/cli/<name>.ts, compiled or through tsx. */
export async function launch(name) {
  if (process.env.FB_ADS_ELT_FROM_SOURCE !== '1' && buildIsFresh()) {
    await import(pathToFileURL(path.join(ROOT, 'dist', 'connector', 'cli', `${name}.js`)).href);
    return;
  }
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'no build in dist/ and no tsx to run the sources', hint: 'Run `npm run build` (or `npm ci`, which builds).', exit_code: 1 })}\n`);
    // exitCode, not exit(): the error line may still be queued on a piped stderr (issue 17).
    process.exitCode = 1;
    return;
  }
  register();
  await import(pathToFileURL(path.join(ROOT, 'connector', 'cli', `${name}.ts`)).href);
}
