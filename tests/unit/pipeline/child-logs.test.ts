import { expect } from 'chai';
import { Readable } from 'node:stream';
import { Redactor } from '../../../connector/core/secrets.js';
import { relayChildLogs, type ChildLogLine } from '../../../connector/pipeline/child-logs.js';
import { MemorySink } from '../../integration/pipeline/standins.js';

describe('relaying child logs', () => {
  const secret = 'sbx_agency_0123456789abcdef';
  const input = [
    JSON.stringify({ level: 'info', component: 'tap-facebook-ads', msg: `calling with ${secret}`, account_id: '1' }),
    JSON.stringify({ level: 'debug', component: 'tap-facebook-ads', msg: 'detail' }),
    '(node:4242) MaxListenersExceededWarning: Possible EventEmitter memory leak detected.',
    'TypeError: something broke',
    '',
  ].join('\n');

  it('relays JSON lines redacted, wraps other lines as JSON, and drops lines below the level', async () => {
    const sink = new MemorySink();
    const seen: ChildLogLine[] = [];
    await relayChildLogs(Readable.from([input]), { component: 'tap', redactor: new Redactor([secret]), sink, minLevel: 'info', observe: (l) => seen.push(l) });
    const lines = sink.lines();
    expect(sink.text).not.to.include(secret);
    expect(lines.map((l) => [l['level'], l['msg']])).to.deep.equal([
      ['info', 'calling with ***REDACTED***'],
      ['warn', '(node:4242) MaxListenersExceededWarning: Possible EventEmitter memory leak detected.'],
      ['error', 'TypeError: something broke'],
    ]);
    expect(lines[2]).to.include({ component: 'tap', note: 'not a JSON log line' });
    expect(seen.map((l) => l.level)).to.deep.equal(['info', 'debug', 'warn', 'error']);
    expect(seen[0]?.fields['account_id']).to.equal('1');
  });
});
