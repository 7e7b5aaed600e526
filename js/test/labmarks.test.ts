import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CandidateDetail, FrontPoint } from '../src/protocol';
import { frontTraces, markSymbol } from '../src/widgets/frontdata';
import { markText } from '../src/widgets/labmarks';

const point = (id: string, marks: Partial<FrontPoint>): FrontPoint => ({
  dim: 0,
  complexity: id.length,
  loss: 1 / id.length,
  id,
  text: id,
  latex: id,
  ...marks
});
const detail = (id: string) => ({ id, dim: 0 }) as CandidateDetail;
type Trace = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('physics marks', () => {
  const points = [
    point('a', {}),
    point('bb', { recovers_law: false, units_ok: false }),
    point('ccc', { recovers_law: true, units_ok: true })
  ];

  it('draws law members as stars and inconsistent ones as open circles', () => {
    assert.deepEqual(points.map(markSymbol), ['circle', 'circle-open', 'star']);
    const [trace] = frontTraces(points, new Set(), '#f00') as Trace[];
    assert.deepEqual(trace.marker.symbol, ['circle', 'circle-open', 'star']);
    assert.match(trace.text[2], /recovers the known law/);
    assert.match(trace.text[1], /dimensionally inconsistent/);
  });

  it('says what the clicked candidate recovers', () => {
    assert.equal(
      markText(detail('ccc'), points, 'x*y'),
      'recovers the known law x*y · dimensionally consistent'
    );
    assert.equal(
      markText(detail('bb'), points, 'x*y'),
      'does not recover x*y · dimensionally inconsistent'
    );
    assert.equal(markText(detail('a'), points, 'x*y'), '');
    assert.equal(markText(null, points, 'x*y'), '');
  });
});
