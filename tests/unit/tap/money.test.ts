import { expect } from 'chai';
import { currencyOffset, minorString, minorToMajor, toDecimalString } from '../../../connector/tap/money.js';

describe('tap money conversion', () => {
  it('converts USD cents to a two-decimal major-unit string', () => {
    expect(minorToMajor('12345', 'USD')).to.equal('123.45');
    expect(minorToMajor('5', 'EUR')).to.equal('0.05');
    expect(minorToMajor('100', 'usd')).to.equal('1.00');
  });

  it('keeps offset-1 currencies (JPY, KRW, and the rest of facts §3.3) unchanged', () => {
    expect(minorToMajor('5000', 'JPY')).to.equal('5000');
    expect(minorToMajor('1380000', 'KRW')).to.equal('1380000');
    for (const c of ['CLP', 'COP', 'CRC', 'HUF', 'ISK', 'IDR', 'PYG', 'TWD', 'VND']) expect(currencyOffset(c)).to.equal(1);
    expect(currencyOffset('GBP')).to.equal(100);
  });

  it('is exact beyond 2^53 and accepts JSON numbers and zero fractions', () => {
    expect(minorToMajor('123456789012345678901', 'USD')).to.equal('1234567890123456789.01');
    expect(minorToMajor(600, 'USD')).to.equal('6.00');
    expect(minorString('600.0')).to.equal('600');
    expect(minorToMajor('-250', 'USD')).to.equal('-2.50');
  });

  it('returns null for absent or non-integer minor values rather than guessing', () => {
    expect(minorToMajor(undefined, 'USD')).to.equal(null);
    expect(minorToMajor('', 'USD')).to.equal(null);
    expect(minorToMajor('12.5', 'USD')).to.equal(null);
  });

  it('normalises Graph metric decimals without going through a float for plain strings', () => {
    expect(toDecimalString('14.35')).to.equal('14.35');
    expect(toDecimalString('0.000001234567890123')).to.equal('0.000001234567890123');
    expect(toDecimalString(1.5e-7)).to.equal('0.00000015');
    expect(toDecimalString('abc')).to.equal(null);
  });
});
