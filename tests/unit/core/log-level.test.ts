import { expect } from 'chai';
import { envLogLevel, Logger } from '../../../connector/core/log.js';

/** Runs `fn` with LOG_LEVEL set (or unset) and stderr captured. */
function withLogLevel<T>(value: string | undefined, fn: () => T): { result: T; stderr: string } {
  const saved = process.env['LOG_LEVEL'];
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  if (value === undefined) delete process.env['LOG_LEVEL'];
  else process.env['LOG_LEVEL'] = value;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { result: fn(), stderr };
  } finally {
    process.stderr.write = write;
    if (saved === undefined) delete process.env['LOG_LEVEL'];
    else process.env['LOG_LEVEL'] = saved;
  }
}

describe('LOG_LEVEL', () => {
  it('reads the four levels in any case, and Python logging names as Meltano users write them', () => {
    const cases: [string, string][] = [
      ['debug', 'debug'],
      ['DEBUG', 'debug'],
      [' Info ', 'info'],
      ['WARNING', 'warn'],
      ['warn', 'warn'],
      ['ERROR', 'error'],
      ['CRITICAL', 'error'],
    ];
    for (const [raw, level] of cases) expect(withLogLevel(raw, envLogLevel).result, raw).to.equal(level);
    expect(withLogLevel(undefined, envLogLevel).result).to.equal(undefined);
    expect(withLogLevel('', envLogLevel).result).to.equal(undefined);
  });

  it('ignores a value that is no level — also a name every object has, like toString — and says so once', () => {
    const first = withLogLevel('verbose', envLogLevel);
    expect(first.result).to.equal(undefined);
    expect(JSON.parse(first.stderr)).to.deep.equal({ level: 'warn', msg: 'LOG_LEVEL "verbose" is not a log level and is ignored', hint: 'Use debug, info, warn or error.' });
    const second = withLogLevel('toString', envLogLevel);
    expect(second.result).to.equal(undefined);
    expect(second.stderr).to.equal('');
  });

  it('filters lines by it: DEBUG shows debug lines, an unknown value falls back to info', () => {
    const lines = (value: string): string[] => {
      const out: string[] = [];
      withLogLevel(value, () => {
        const log = new Logger({ component: 't', sink: { write: (l: string) => out.push(l) } });
        log.debug('d');
        log.info('i');
      });
      return out.map((l) => String((JSON.parse(l) as { msg: string }).msg));
    };
    expect(lines('DEBUG')).to.deep.equal(['d', 'i']);
    expect(lines('toString')).to.deep.equal(['i']);
  });
});
