import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BoundaryState } from '../src/protocol';
import { axis, boundaryLayout, boundaryTraces, gridRows } from '../src/widgets/boundarydata';
import { FALLBACK_THEME } from '../src/widgets/theme';

const STATE: BoundaryState = {
  title: 'model output',
  x_label: 'x0',
  y_label: 'x1',
  x_range: [-1, 1],
  y_range: [0, 2],
  nx: 3,
  ny: 2,
  g_levels: [0.5, 1.5],
  g_boundary: 1,
  equation: 'x0^2 + 2*x1^2',
  fixed: 'x2 = 0.5'
};
type Trace = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function buffer(values: number[]): DataView {
  return new DataView(new Float32Array(values).buffer);
}

describe('boundary grid', () => {
  const grid = buffer([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);

  it('splits the buffer into f rows then g rows', () => {
    const { f, g } = gridRows(STATE, grid);
    assert.deepEqual(f, [
      [0, 1, 2],
      [3, 4, 5]
    ]);
    assert.deepEqual(g[1], [13, 14, 15]);
  });

  it('refuses a buffer of the wrong size', () => {
    assert.throws(() => gridRows(STATE, buffer([1, 2, 3])), /12 bytes, expected 48/);
  });

  it('draws g levels, f = 0, then the dashed boundary level of g on evenly spaced axes', () => {
    assert.deepEqual(axis([0, 2], 3), [0, 1, 2]);
    const traces = boundaryTraces(STATE, grid, FALLBACK_THEME) as Trace[];
    assert.equal(traces.length, 4);
    assert.deepEqual(
      traces.map(t => t.contours.start),
      [0.5, 1.5, 0, 1]
    );
    assert.equal(traces[3].line.dash, 'dash');
    assert.deepEqual(traces[2].z, gridRows(STATE, grid).f);
    assert.deepEqual(traces[0].x, [-1, 0, 1]);
  });

  it('names the slice in the title', () => {
    const layout = boundaryLayout(STATE, FALLBACK_THEME) as Trace;
    assert.equal(layout.title.text, 'model output (slice at x2 = 0.5)');
    assert.equal(layout.xaxis.title.text, 'x0');
  });
});
