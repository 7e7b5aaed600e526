import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SlimeGrid, SlimeSummary } from '../src/protocol';
import {
  SLIME_LINE,
  axisValues,
  floats,
  gridRows,
  pairs,
  surfaceTraces
} from '../src/widgets/slimedata';
import { pdCurves, pdLayout, weightTraces } from '../src/widgets/slimetabular';
import { fidelityRows, fmt, slimeTitle, statusText, summaryLines } from '../src/widgets/slimetext';

const GRID: SlimeGrid = {
  x_name: 'a',
  y_name: 'b',
  x_min: 0,
  x_max: 1,
  y_min: -1,
  y_max: 1,
  nx: 3,
  ny: 2,
  z_min: 0,
  z_max: 1
};

function view(values: number[]): DataView {
  return new DataView(new Float32Array(values).buffer);
}

const SUMMARY: SlimeSummary = {
  request: 2,
  x0: [0.5, 0.25],
  row: null,
  f_x0: 0.75,
  g_x0: 0.7,
  text: 'a*b',
  latex: 'a b',
  complexity: 3,
  level: 0.5,
  fidelity: { weighted_mse: 0.0001, r2: 0.99, abs_error_x0: 0.05 },
  lime_fidelity: { weighted_mse: 0.02, r2: null, abs_error_x0: 0.1 },
  lime_weights: [
    { feature: 'a', weight: 0.4 },
    { feature: 'b', weight: -0.2 }
  ],
  lime_intercept: 0.1,
  effects: [{ feature: 'b', weight: 0.5 }],
  features_used: ['a', 'b'],
  note: '',
  stopped: true,
  n_neighbours: 10,
  n_synthetic: 200,
  pd_features: ['a', 'b'],
  pd_points: 2
};

describe('SlimeLab surface data', () => {
  it('reads float32 buffers and lays the grid out row by row', () => {
    const values = floats(view([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(gridRows(values, GRID), [
      [1, 2, 3],
      [4, 5, 6]
    ]);
    assert.equal(gridRows(floats(view([1, 2])), GRID), null); // wrong size: nothing drawn
    assert.deepEqual(axisValues(-1, 1, 3), [-1, 0, 1]);
    assert.deepEqual(pairs(floats(view([1, 2, 3, 4]))), { x: [1, 3], y: [2, 4] });
    assert.equal(floats(null).length, 0);
  });

  it('draws the heatmap first and the level sets at the summary level', () => {
    const b = {
      surface: floats(view([0, 0.2, 0.4, 0.6, 0.8, 1])),
      data: floats(view([0.1, 0.1])),
      neighbours: floats(view([0.5, 0.2])),
      synthetic: new Float32Array(),
      slime: floats(view([0, 0.2, 0.4, 0.6, 0.8, 1])),
      lime: floats(view([0, 0.2, 0.4, 0.6, 0.8, 1]))
    };
    const colors = { font: '#000', accent: '#f00' };
    const before = surfaceTraces(GRID, b, null, colors) as { type: string }[];
    assert.deepEqual(
      before.map(t => t.type),
      ['heatmap', 'scattergl']
    );
    const after = surfaceTraces(GRID, b, SUMMARY, colors) as Record<string, unknown>[];
    const names = after.map(t => t.name);
    assert.deepEqual(names, ['f', 'data', 'neighbours', 'LIME', 'SLIME', 'x0']);
    const slime = after[4] as { contours: { start: number; end: number } };
    assert.deepEqual([slime.contours.start, slime.contours.end], [0.5, 0.5]);
    assert.deepEqual((after[5] as { x: number[] }).x, [0.5]);
    // SLIME's line is not red: the RdBu surface's red hid the accent colour in the light theme
    assert.equal((after[4] as { line: { color: string } }).line.color, SLIME_LINE);
    assert.notEqual(SLIME_LINE, colors.accent);
  });
});

describe('SlimeLab tabular data and text', () => {
  it('slices the partial-dependence buffer per feature and pairs the weights', () => {
    const pd = floats(view([0, 1, 10, 11, 20, 21, 30, 31, 5, 6, 50, 51, 60, 61, 70, 71]));
    const curves = pdCurves(pd, SUMMARY);
    assert.deepEqual(curves[1], {
      feature: 'b',
      x: [5, 6],
      f: [50, 51],
      lime: [60, 61],
      slime: [70, 71]
    });
    const [lime, slime] = weightTraces(SUMMARY, '#f00') as { x: number[]; y: string[] }[];
    assert.deepEqual(lime.y, ['b', 'a']);
    assert.deepEqual(lime.x, [-0.2, 0.4]);
    assert.deepEqual(slime.x, [0.5, 0]); // a feature g does not use has no local effect
  });

  it('names every partial-dependence panel, the first one too (plotly: xaxis, not xaxis1)', () => {
    const theme = { font: '#000', grid: '#ddd', family: 'sans-serif', accent: '#f00' };
    const layout = pdLayout(theme, SUMMARY) as Record<string, { title?: { text: string } }>;
    const titles = SUMMARY.pd_features.map(
      (_, k) => layout[k === 0 ? 'xaxis' : `xaxis${k + 1}`]?.title?.text
    );
    assert.deepEqual(titles, SUMMARY.pd_features);
    assert.equal(layout['xaxis1'], undefined);
  });

  it('titles the SlimeLab SLIME, naming the explainer only when the user named it', () => {
    assert.equal(slimeTitle('slime', 'f(x)'), 'SLIME · local explanations of f(x)');
    assert.equal(
      slimeTitle('lab2', 'P(class 1)'),
      'SLIME · lab2 · local explanations of P(class 1)'
    );
  });

  it('formats the fidelity table, the status and the summary lines', () => {
    assert.deepEqual(fidelityRows(SUMMARY), [
      ['SLIME', '1e-4', '0.99', '0.05'],
      ['LIME', '0.02', '–', '0.1']
    ]);
    assert.equal(fmt(Number.NaN), '–');
    const status = {
      request: 3,
      phase: 'running' as const,
      message: '',
      elapsed: 1.25,
      n_candidates: 4
    };
    assert.equal(
      statusText(status),
      'explanation 3: running, 1.3 s, 4 expressions on the local front'
    );
    const lines = summaryLines(SUMMARY, ['a', 'b']);
    assert.equal(lines[0], 'clicked point: a=0.5, b=0.25');
    assert.match(lines[3], /^LIME: 0\.1 \+ 0\.4·a − 0\.2·b$/);
    assert.equal(lines.at(-1), 'search stopped early: partial front');
  });
});
