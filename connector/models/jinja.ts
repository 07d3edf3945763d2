// A nunjucks environment that speaks enough dbt Jinja to render this project's files unchanged:
// return(), adapter.dispatch, {% do %}, {% test %} blocks, Python string/dict methods and the
// filters dbt adds. Findings behind each shim: research/toolchain.md §3.
import nunjucks from 'nunjucks';
import { ConfigError } from '../core/errors.js';

/**
 * Thrown by `return(x)` and caught by the macro wrapper, which hands `x` back to the caller. Marked
 * with a registry symbol rather than checked with instanceof: the nunjucks runtime is patched once
 * per process, but this module can be instantiated twice (ESM and CJS loader paths under tsx), and a
 * second copy's class would not be recognised by the first copy's wrapper.
 */
const MACRO_RETURN = Symbol.for('fb-ads-elt.models.macro-return');
class MacroReturn {
  readonly [MACRO_RETURN] = true;
  constructor(readonly value: unknown) {}
}
const isMacroReturn = (err: unknown): err is MacroReturn => typeof err === 'object' && err !== null && MACRO_RETURN in err;

// nunjucks keeps its runtime helpers on a shared module object; the compiled templates look them
// up on every call, so wrapping them once (idempotently) changes behaviour for every environment.
interface NunjucksRuntime {
  makeMacro: (argNames: string[], kwargNames: string[], func: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown;
  memberLookup: (obj: unknown, val: unknown) => unknown;
  __fbAdsEltPatched?: boolean;
}

function patchRuntime(): void {
  // The runtime is not in @types/nunjucks; it is a plain object of functions.
  const rt = (nunjucks as unknown as { runtime: NunjucksRuntime }).runtime;
  if (rt.__fbAdsEltPatched) return;
  nunjucks.installJinjaCompat();
  const makeMacro = rt.makeMacro;
  rt.makeMacro = (argNames, kwargNames, func) =>
    makeMacro(argNames, kwargNames, function (this: unknown, ...args: unknown[]) {
      try {
        return func.apply(this, args);
      } catch (err) {
        if (isMacroReturn(err)) return err.value;
        throw err;
      }
    });
  const memberLookup = rt.memberLookup;
  rt.memberLookup = (obj, val) => {
    if (typeof obj === 'string' && typeof val === 'string') {
      const method = STRING_METHODS[val];
      if (method) return (...args: unknown[]) => method(obj, ...args);
    }
    return memberLookup(obj, val);
  };
  rt.__fbAdsEltPatched = true;
}

/** Python str methods dbt code commonly calls; nunjucks has none of them. */
const STRING_METHODS: Record<string, (s: string, ...a: unknown[]) => unknown> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, chars) => (typeof chars === 'string' ? s.replace(new RegExp(`^[${escapeClass(chars)}]+|[${escapeClass(chars)}]+$`, 'g'), '') : s.trim()),
  lstrip: (s) => s.trimStart(),
  rstrip: (s) => s.trimEnd(),
  startswith: (s, p) => s.startsWith(String(p)),
  endswith: (s, p) => s.endsWith(String(p)),
  split: (s, sep) => (sep === undefined || sep === null ? s.trim().split(/\s+/) : s.split(String(sep))),
  replace: (s, a, b) => s.split(String(a)).join(String(b)),
  format: (s, ...args) => {
    let i = 0;
    return s.replace(/\{\}/g, () => String(args[i++] ?? ''));
  },
  title: (s) => s.replace(/\b\w/g, (c) => c.toUpperCase()),
  isdigit: (s) => /^\d+$/.test(s),
};

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}

/**
 * Rewrites the few dbt Jinja constructs nunjucks cannot parse into ones it can:
 * `adapter.dispatch(` → `__dispatch(` (so the call sees the template context),
 * `{% test x(...) %}` → a macro named `test_x`, `{% do e %}` → a throw-away set.
 */
export function preprocess(source: string): string {
  // nunjucks renders Python's `"%s" % x` as NaN without any error: refuse it instead.
  const percent = /\{[{%][^}]*["'][^"']*%[sdif][^"']*["']\s*%\s*[(\w]/.exec(source);
  if (percent) {
    throw new ConfigError(`Python %-formatting is not supported here: ${percent[0]}`, { hint: 'Build the string with ~ (concatenation) or the format filter instead.' });
  }
  return source
    .replace(/adapter\s*\.\s*dispatch\s*\(/g, '__dispatch(')
    .replace(/\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, '{%$1 macro test_$2(')
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}')
    .replace(/\{%(-?)\s*do\s+/g, '{%$1 set __do_result = ');
}

export interface DbtEnvironmentOptions {
  /** Adapter type macros dispatch to first (`duckdb__x`, `bigquery__x`), before `default__x`. */
  adapterType: string;
}

/** A fresh environment with dbt's helpers; globals that depend on the node are passed per render. */
export function createDbtEnvironment(opts: DbtEnvironmentOptions): nunjucks.Environment {
  patchRuntime();
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false, trimBlocks: false });
  env.addGlobal('return', (value: unknown) => {
    throw new MacroReturn(value);
  });
  env.addGlobal('__dispatch', function (this: { lookup(name: string): unknown }, name: string) {
    for (const candidate of [`${opts.adapterType}__${name}`, `default__${name}`]) {
      const fn = this.lookup(candidate);
      if (typeof fn === 'function') return fn;
    }
    throw new Error(`adapter.dispatch: no ${opts.adapterType}__${name} or default__${name} macro`);
  });
  env.addGlobal('exceptions', {
    raise_compiler_error: (msg: string) => {
      throw new Error(`Compilation Error: ${msg}`);
    },
    warn: () => '',
  });
  env.addGlobal('log', () => '');
  env.addGlobal('print', () => '');
  env.addGlobal('execute', true);
  env.addGlobal('modules', { datetime: { date: { today: () => new Date().toISOString().slice(0, 10) } } });
  env.addGlobal('namespace', (kw: Record<string, unknown> = {}) => {
    const { __keywords, ...rest } = kw;
    void __keywords;
    return rest;
  });
  env.addFilter('tojson', (v: unknown) => JSON.stringify(v));
  // Jinja's `"%s-%s" | format(a, b)`, the supported way to format.
  env.addFilter('format', (fmt: string, ...args: unknown[]) => {
    let i = 0;
    return String(fmt).replace(/%[sdif]/g, () => String(args[i++] ?? ''));
  });
  env.addFilter('as_bool', (v: unknown) => v === true || v === 'true' || v === 'True');
  env.addFilter('as_number', (v: unknown) => Number(v));
  env.addFilter('as_text', (v: unknown) => String(v));
  return env;
}

/** Keyword arguments reach JS functions as a trailing object flagged `__keywords`. */
export function splitKeywordArgs(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && (last as { __keywords?: boolean }).__keywords) {
    const { __keywords, ...keywords } = last as Record<string, unknown>;
    void __keywords;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}
