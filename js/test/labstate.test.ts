import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SearchStatus } from '../src/protocol';
import {
  disabledButtons,
  progressText,
  scoreText,
  staleText,
  type ShownState
} from '../src/widgets/labstate';

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
  it('a search cut off by a kernel restart reads as stale, every button off', () => {
    const running: ShownState = { ...base, status: { ...DONE, state: 'running', generation: 13 } };
    assert.match(progressText(running), /^running: generation 13/);
    assert.match(
      staleText(running),
      /^stale \(kernel restarted or not connected\) · last seen: running: generation 13/
    );
    assert.ok(Object.values(disabledButtons(running, false, true)).every(Boolean));
  });

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

  it('calls a candidate that is not the pick "not picked" once its search is over', () => {
    const d = {
      path: 'mlp',
      dim: 0,
      id: 'c1',
      complexity: 3,
      text: 'x0',
      latex: 'x_0',
      loss: 0.01,
      heldout: 0.02,
      heldout_label: 'held-out MSE',
      picked: false,
      n_parity: 0
    };
    assert.match(scoreText(d, false), /\(not picked\)/);
    assert.match(scoreText(d, true), /still searching/);
    assert.match(scoreText({ ...d, picked: true }, false), /\(picked\)/);
  });
});
