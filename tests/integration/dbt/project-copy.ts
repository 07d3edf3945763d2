// Test helpers around the real dbt project: a temporary copy (optionally with one model edited,
// e.g. broken on purpose), the project's own vars, and its seeds parsed as plain rows.
import { cpSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../../connector/core/config.js';

export const PROJECT_DIR = path.join(REPO_ROOT, 'dbt');

/** Copies dbt/ (without build output) into a fresh temp dir and returns the copy's path. */
export function copyProject(tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'dbt-copy-'))): string {
  const dest = path.join(tmpRoot, 'dbt');
  cpSync(PROJECT_DIR, dest, { recursive: true, filter: (src) => !/[\\/](target|logs|dbt_packages)$/.test(src) });
  return dest;
}

/** Rewrites one file of a project copy; throws if the text to replace is absent (a test that cannot fail is worse than none). */
export function editFile(projectDir: string, relPath: string, from: string, to: string): void {
  const file = path.join(projectDir, relPath);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${relPath} does not contain ${from}`);
  writeFileSync(file, text.replace(from, to));
}

export function projectVars(): Record<string, unknown> {
  const pj = yaml.load(readFileSync(path.join(PROJECT_DIR, 'dbt_project.yml'), 'utf8'), { schema: yaml.CORE_SCHEMA }) as { vars: Record<string, unknown> };
  return pj.vars;
}

export function seedRows(name: string): Record<string, string>[] {
  // The seeds hold no quoted fields (checked here), so a plain split reads them exactly.
  const text = readFileSync(path.join(PROJECT_DIR, 'seeds', `${name}.csv`), 'utf8');
  if (text.includes('"')) throw new Error(`seed ${name} has quoted fields; use a CSV parser`);
  const [header = [], ...rows] = text.split(/\r?\n/).filter((l) => l !== '').map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}
