import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrontPoint } from '../src/protocol';
import { dimsOf, frontLayout, frontTraces } from '../src/widgets/frontdata';
import { FALLBACK_THEME } from '../src/widgets/theme';

const point = (dim: number, complexity: number, loss: number): FrontPoint => ({
  dim,
  complexity,
  loss,
  id: `d${dim}c${complexity}`,
  text: `expr ${complexity}`,
  latex: 'x'
});

const POINTS = [point(1, 5, 1e-4), point(0, 3, 0.01), point(1, 1, 0.5), point(0, 1, 0.2)];
type Trace = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('front traces', () => {
  it('makes one trace per dim, sorted by complexity, ids as customdata', () => {
    assert.deepEqual(dimsOf(POINTS), [0, 1]);
    const [d0, d1] = frontTraces(POINTS, new Set(), '#f00') as Trace[];
    assert.equal(d0.meta, 0);
    assert.deepEqual(d0.x, [1, 3]);
    assert.deepEqual(d0.y, [0.2, 0.01]);
    assert.deepEqual(d1.customdata, ['d1c1', 'd1c5']);
    assert.deepEqual(d1.text, ['expr 1', 'expr 5']);
  });

  it('enlarges and outlines the picked points only', () => {
    const [d0, d1] = frontTraces(POINTS, new Set(['d1c5']), '#f00') as Trace[];
    assert.deepEqual(d0.marker.size, [9, 9]);
    assert.deepEqual(d1.marker.size, [9, 14]);
    assert.deepEqual(d1.marker.line.width, [0, 2]);
    assert.equal(d1.marker.line.color, '#f00');
  });

  it('lays out a log loss axis with power-of-ten ticks in the theme colours', () => {
    const theme = { ...FALLBACK_THEME, font: 'rgb(1, 2, 3)' };
    const layout = frontLayout(theme, 'front', POINTS) as Trace;
    assert.equal(layout.yaxis.type, 'log');
    assert.deepEqual(layout.yaxis.ticktext, ['10⁻⁴', '10⁻³', '10⁻²', '10⁻¹', '1']);
    assert.equal(layout.yaxis.color, 'rgb(1, 2, 3)');
    assert.equal(layout.font.color, 'rgb(1, 2, 3)');
    assert.equal(layout.showlegend, true);
    assert.equal((frontLayout(theme, 'f', POINTS.slice(1, 2)) as Trace).showlegend, false);
  });
});
