import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareBars,
  compareScatter,
  labelPositions,
  metricLabel,
  type Rec
} from '../src/widgets/comparedata';
import { FALLBACK_THEME } from '../src/widgets/theme';

const REC: Rec = {
  label: 'mlp.0',
  paths: ['mlp.0'],
  metric: 'mse',
  before: 0,
  after: 0.0123,
  throughput_before: 1000,
  throughput_after: 1500,
  unit: 'samples',
  reference: '' // a record saved before the kernel sent its reference
};
type Fig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('compare figures', () => {
  it('says what the metric is measured against', () => {
    assert.equal(metricLabel({ ...REC, reference: 'y_test' }), 'mse vs y_test');
    assert.equal(metricLabel(REC), "mse vs the original network's output");
    assert.equal(metricLabel({ ...REC, metric: 'accuracy', before: 0.9 }), 'accuracy');
    const { layout } = compareBars(REC, FALLBACK_THEME) as Fig;
    assert.equal(layout.yaxis.title.text, 'mse');
    assert.match(layout.title.text, /<sub>mse vs the original network's output<\/sub>/);
  });

  it('labels every bar with its value and marks a zero bar', () => {
    const { data } = compareBars(REC, FALLBACK_THEME) as Fig;
    const [metricBars, zeroMark, speedBars] = data;
    assert.deepEqual(metricBars.text, ['0', '0.0123']);
    assert.equal(metricBars.textposition, 'outside');
    assert.deepEqual(zeroMark.x, ['original']);
    assert.deepEqual(zeroMark.y, [0]);
    assert.equal(zeroMark.yaxis, 'y');
    assert.equal(speedBars.yaxis, 'y2');
    assert.equal(data.length, 3); // no zero in the throughput bars, so no mark there
  });

  it('keeps scatter labels inside: edge points label towards the middle', () => {
    const recs = [REC, { ...REC, label: 'mlp.0 + mlp.2', after: 0.002, throughput_after: 3000 }];
    const { data, layout } = compareScatter(recs, FALLBACK_THEME) as Fig;
    assert.deepEqual(data[1].textposition, ['bottom right', 'top left']);
    assert.deepEqual(labelPositions([1, 2, 3], [0.5, 0.1, 0.2]), [
      'bottom right',
      'top center',
      'top left'
    ]);
    assert.equal(data[1].cliponaxis, false);
    assert.equal(data[0].textposition, 'top right'); // the original, left of every hybrid
    assert.equal(layout.xaxis.automargin, true);
  });
});
