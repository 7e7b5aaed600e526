import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logAxis, logTicks, MAX_TICKS, powerText } from '../src/widgets/ticks';

describe('loss axis ticks', () => {
  it('writes powers of ten with superscript exponents', () => {
    assert.equal(powerText(1, -3), '10⁻³');
    assert.equal(powerText(2, -12), '2×10⁻¹²');
    assert.equal(powerText(1, 0), '1');
    assert.equal(powerText(5, 1), '50');
    assert.equal(powerText(1, 4), '10⁴');
  });

  it('puts one tick per decade over a few decades, never SI prefixes', () => {
    const { tickvals, ticktext } = logTicks([3e-6, 0.02, 0.4]);
    assert.deepEqual(tickvals, [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
    assert.deepEqual(ticktext, ['10⁻⁶', '10⁻⁵', '10⁻⁴', '10⁻³', '10⁻²', '10⁻¹', '1']);
  });

  it('thins decades over a long range (1e-15 .. 10)', () => {
    const { tickvals, ticktext } = logTicks([1e-15, 1e-9, 10]);
    assert.ok(tickvals.length <= MAX_TICKS + 1, `${tickvals.length} ticks`);
    assert.equal(tickvals[0], 1e-15);
    assert.ok(
      ticktext.every(t => /^(10[⁻¹²³⁴⁵⁶⁷⁸⁹⁰]*|1|10)$/.test(t)),
      ticktext.join(' ')
    );
    assert.ok(!ticktext.some(t => /[fpnµm]/.test(t)));
  });

  it('adds 1-2-5 steps when the losses span one or two decades', () => {
    const one = logTicks([0.15, 0.6]);
    assert.deepEqual(one.ticktext, ['10⁻¹', '2×10⁻¹', '3×10⁻¹', '5×10⁻¹', '1']);
    const two = logTicks([0.5, 30]);
    assert.deepEqual(two.tickvals, [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]);
  });

  it('ignores zero and non-finite losses and keeps a log axis', () => {
    assert.deepEqual(logTicks([0, NaN, Infinity]), { tickvals: [], ticktext: [] });
    assert.equal(logAxis([0]).type, 'log');
    const axis = logAxis([0, 1e-3, 1]);
    assert.equal(axis.tickmode, 'array');
    assert.deepEqual(axis.ticktext, ['10⁻³', '10⁻²', '10⁻¹', '1']);
  });
});
