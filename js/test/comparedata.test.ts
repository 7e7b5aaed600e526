import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareBars,
  metricLabel,
  otherModuleNote,
  timedOn,
  type Rec
} from '../src/widgets/comparedata';
import { compareScatter, labelPositions } from '../src/widgets/comparescatter';
import { FALLBACK_THEME, MODEBAR_HEIGHT } from '../src/widgets/theme';

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

  it('names the module compared, and says so when another module is selected', () => {
    const mlp = { ...REC, label: 'mlp', paths: ['mlp'] };
    const shown = (selected: string | null) =>
      (compareBars(mlp, FALLBACK_THEME, selected) as Fig).layout;
    assert.match(shown('mlp').title.text, /^before\/after: mlp<br>/);
    assert.doesNotMatch(shown('mlp').title.text, /not for the selected/);
    const other = shown('mlp.0');
    assert.match(other.title.text, /measured with mlp replaced, not for the selected mlp\.0/);
    assert.ok(other.margin.t > shown('mlp').margin.t); // room for the third line
    assert.equal(otherModuleNote(mlp, null), '');
  });

  it('says what batch and device the throughput was timed on', () => {
    const timed = { ...REC, batch: 300, device: 'cpu' };
    const { layout } = compareBars(timed, FALLBACK_THEME) as Fig;
    assert.equal(layout.yaxis2.title.text, 'samples/s (batch 300 samples · cpu)');
    assert.match(layout.title.text, /samples\/s timed on batch 300 samples · cpu/);
    assert.equal(timedOn(REC), ''); // an older record: nothing made up
    assert.equal((compareBars(REC, FALLBACK_THEME) as Fig).layout.yaxis2.title.text, 'samples/s');
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

  it('plots only records measured like the newest one, with their original point', () => {
    const vsTargets = { ...REC, reference: 'y', before: 0.02, after: 0.026, throughput_after: 900 };
    const vsNetwork = {
      ...REC,
      label: 'mlp',
      reference: "the original network's output",
      before: 0,
      after: 1.37,
      throughput_before: 2000,
      throughput_after: 2500
    };
    const { data, layout } = compareScatter([vsTargets, vsNetwork], FALLBACK_THEME) as Fig;
    const [original, hybrids] = data;
    assert.deepEqual(hybrids.y, [1.37]);
    assert.deepEqual(hybrids.text, ['mlp']);
    assert.deepEqual([original.x, original.y], [[2000], [0]]);
    assert.match(layout.title.text, /mse vs the original network's output/);
    assert.match(layout.title.text, /1 record with another metric or reference not shown/);
    const same = compareScatter([vsNetwork, { ...vsNetwork, after: 0.5 }], FALLBACK_THEME) as Fig;
    assert.deepEqual(same.data[1].y, [1.37, 0.5]);
    assert.doesNotMatch(same.layout.title.text, /not shown/);
  });

  it('sets both titles below the mode bar, inside the top margin', () => {
    const recs = [REC];
    for (const { layout } of [
      compareBars(REC, FALLBACK_THEME),
      compareScatter(recs, FALLBACK_THEME)
    ]) {
      const { title, margin } = layout as Fig;
      assert.equal(title.yref, 'container');
      assert.equal(title.yanchor, 'top');
      assert.ok(title.pad.t >= MODEBAR_HEIGHT);
      assert.ok(margin.t > title.pad.t + 2 * title.font.size);
    }
  });
});
