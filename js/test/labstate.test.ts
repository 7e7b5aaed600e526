import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SearchStatus } from '../src/protocol';
import { disabledButtons, progressText, type ShownState } from '../src/widgets/labstate';

const DONE: SearchStatus = {
  model: 'model',
  path: 'mlp',
  state: 'done',
  generation: 8,
  elapsed: 1.5,
  n_candidates: 12,
  message: '1/1 dims done'
};
const base: ShownState = { module: 'mlp', module_status: 'distilled', status: DONE };

describe('Lab widget buttons and progress line', () => {
  it('offers Distill and Replace on a distilled module of its own', () => {
    const off = disabledButtons(base, false, false);
    assert.deepEqual(off, {
      distill: false,
      stop: true,
      replace: false,
      restore: true,
      compare: false
    });
    assert.match(progressText(base), /^done: generation 8, 1\.5 s, 12 candidates/);
  });

  it('only offers Replace again and Restore on a module it replaced', () => {
    const off = disabledButtons({ ...base, module_status: 'replaced' }, false, false);
    assert.deepEqual([off.distill, off.replace, off.restore], [true, false, false]);
  });

  it('refuses Distill, Replace and Restore on a module another Lab replaced, and says so', () => {
    const elsewhere: ShownState = { ...base, module_status: 'replaced_elsewhere' };
    const off = disabledButtons(elsewhere, false, false);
    assert.deepEqual([off.distill, off.replace, off.restore], [true, true, true]);
    assert.equal(
      progressText(elsewhere),
      "module 'mlp' is replaced by another Lab/Session: restore it there first"
    );
    const fresh: ShownState = { module: 'mlp', module_status: 'replaced_elsewhere', status: null };
    assert.match(progressText(fresh), /replaced by another Lab\/Session/);
    assert.equal(disabledButtons(fresh, false, false).distill, true);
  });

  it('turns everything off while busy or with no Lab behind the view', () => {
    assert.equal(disabledButtons(base, true, false).distill, true);
    assert.ok(Object.values(disabledButtons(base, false, true)).every(Boolean));
  });
});
