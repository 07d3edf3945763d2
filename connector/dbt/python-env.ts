// The project's Python tools (dbt, its adapters, sqlfluff): a virtual environment in .venv/ built
// from the pinned lock in requirements/, and where their executables are. `npm ci` installs it
// (cli/install-python-env.ts, from `prepare`); FB_ADS_ELT_DBT points the product at an existing dbt instead.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/config.js';
import { ConfigError } from '../core/errors.js';

/** The dbt executable to run instead of the project's own (an existing installation). */
export const DBT_ENV_VAR = 'FB_ADS_ELT_DBT';
/** The Python that creates the venv (default python3). */
export const PYTHON_ENV_VAR = 'FB_ADS_ELT_PYTHON';
/** Set to 1 to make `npm ci` skip the venv (then FB_ADS_ELT_DBT must name a dbt). */
export const SKIP_ENV_VAR = 'FB_ADS_ELT_SKIP_PYTHON_ENV';

export const LOCK_FILE = path.join(REPO_ROOT, 'requirements', 'python.lock.txt');
export const VENV_DIR = path.join(REPO_ROOT, '.venv');
/** Written last by a complete install: the lock's hash, so a changed lock re-installs. */
const STAMP_FILE = path.join(VENV_DIR, '.fb-ads-elt-lock.sha256');

/** dbt-core 1.11 supports Python 3.10–3.13. */
const PYTHON_MIN: [number, number] = [3, 10];

export function venvExecutable(name: string, venvDir = VENV_DIR): string {
  return process.platform === 'win32' ? path.join(venvDir, 'Scripts', `${name}.exe`) : path.join(venvDir, 'bin', name);
}

export function lockHash(lockFile = LOCK_FILE): string {
  return createHash('sha256').update(readFileSync(lockFile)).digest('hex');
}

/** True when .venv holds exactly the current lock (the fast path of every `npm ci`). */
export function venvIsCurrent(venvDir = VENV_DIR, lockFile = LOCK_FILE): boolean {
  const stamp = path.join(venvDir, path.basename(STAMP_FILE));
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === lockHash(lockFile);
}

const SETUP_HINT = `Run \`npm ci\` in ${REPO_ROOT} (it installs dbt into .venv/ from requirements/python.lock.txt), or set ${DBT_ENV_VAR}=/path/to/dbt to use an existing dbt 1.11 with dbt-duckdb.`;

/** The dbt to run: FB_ADS_ELT_DBT, else the project's venv. A missing one is a config error. */
export function resolveDbt(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[DBT_ENV_VAR];
  if (own) {
    if (own.includes(path.sep) && !existsSync(own)) throw new ConfigError(`${DBT_ENV_VAR} names ${own}, which does not exist`, { hint: SETUP_HINT });
    return own;
  }
  const dbt = venvExecutable('dbt');
  if (!existsSync(dbt)) throw new ConfigError(`dbt is not installed: ${dbt} is missing`, { hint: SETUP_HINT });
  return dbt;
}

/** sqlfluff from the venv (only the lint test and developers use it). */
export function resolveSqlfluff(): string {
  const bin = venvExecutable('sqlfluff');
  if (!existsSync(bin)) throw new ConfigError(`sqlfluff is not installed: ${bin} is missing`, { hint: `Run \`npm ci\` in ${REPO_ROOT}.` });
  return bin;
}

export interface InstallOptions {
  venvDir?: string;
  lockFile?: string;
  python?: string;
  /** Progress lines (the installer prints them on stderr). */
  say?: (line: string) => void;
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error || r.status !== 0) {
    throw new ConfigError(`${what} failed (${r.error ? r.error.message : `exit ${r.status}`})`, {
      hint: 'pip needs PyPI (or a mirror set in pip.conf) reachable; the output above names the package that failed.',
    });
  }
}

/** Checks the interpreter before anything is created, so a missing venv module is one clear message. */
function checkPython(python: string): void {
  const r = spawnSync(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  if (r.error) {
    throw new ConfigError(`${python} was not found: dbt needs Python ${PYTHON_MIN.join('.')}+`, {
      hint: `Install python3 and its venv module (Debian/Ubuntu: apt-get install python3 python3-venv), or set ${PYTHON_ENV_VAR} to a Python 3.10–3.13, or set ${SKIP_ENV_VAR}=1 and ${DBT_ENV_VAR} to an existing dbt.`,
    });
  }
  if (r.status !== 0) {
    throw new ConfigError(`${python} cannot create virtual environments (the venv/ensurepip module is missing)`, {
      hint: `Debian/Ubuntu: apt-get install python3-venv; or set ${PYTHON_ENV_VAR} to another Python 3.10–3.13.`,
    });
  }
  const [major, minor] = r.stdout.trim().split('.').map(Number) as [number, number];
  if (major < PYTHON_MIN[0] || (major === PYTHON_MIN[0] && minor < PYTHON_MIN[1])) {
    throw new ConfigError(`${python} is Python ${major}.${minor}; dbt 1.11 needs ${PYTHON_MIN.join('.')}+`, { hint: `Set ${PYTHON_ENV_VAR} to a Python 3.10–3.13.` });
  }
}

/**
 * Creates (or re-creates) the venv from the lock unless it already matches it. Idempotent: an
 * install interrupted half-way has no stamp, so the next one starts again from a clean directory.
 */
export function installPythonEnv(o: InstallOptions = {}): 'current' | 'installed' {
  const venvDir = o.venvDir ?? VENV_DIR;
  const lockFile = o.lockFile ?? LOCK_FILE;
  const say = o.say ?? (() => undefined);
  if (venvIsCurrent(venvDir, lockFile)) return 'current';
  const python = o.python ?? process.env[PYTHON_ENV_VAR] ?? 'python3';
  checkPython(python);
  say(`installing the pinned Python tools (dbt, sqlfluff, Meltano) into ${venvDir} from ${path.relative(REPO_ROOT, lockFile)} (a few minutes, once: README "Python tools" has the figures)`);
  rmSync(venvDir, { recursive: true, force: true });
  mkdirSync(path.dirname(venvDir), { recursive: true });
  run(python, ['-m', 'venv', venvDir], 'creating the virtual environment');
  const pip = venvExecutable('pip', venvDir);
  run(pip, ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', lockFile], 'pip install -r requirements/python.lock.txt');
  run(pip, ['check'], 'pip check');
  writeFileSync(path.join(venvDir, path.basename(STAMP_FILE)), lockHash(lockFile) + '\n');
  return 'installed';
}
