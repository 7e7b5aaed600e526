/**
 * Lab widget drawing: the synced state (LabState) and the view's own flags into the lab's DOM
 * (title, progress, buttons, error, the clicked candidate, the front). Reads the model, writes
 * the DOM; sends nothing (lab.ts wires the intents).
 */
import type { AnyModel } from '@anywidget/types';
import type { LabState } from '../protocol';
import { drawFront } from './frontplot';
import { renderLatex } from './labdetail';
import type { ILabDom } from './labdom';
import { disabledButtons, progressText, scoreText, staleText } from './labstate';

type Buffer = DataView | null;
export type LabModel = LabState & { parity: Buffer; boundary_grid: Buffer; _stl_kind: string };

export interface IViewState {
  busy: boolean;
  /** A request that got no reply in time: the kernel could not report it in `error`. */
  lostReply: string;
  /** No running Lab behind this view (liveness.ts): every action is off, the error says why. */
  lost: string;
}

export function drawState(dom: ILabDom, model: AnyModel<LabModel>, view: IViewState): void {
  const module = model.get('module');
  const shown = { module, module_status: model.get('module_status'), status: model.get('status') };
  const name = module === null ? '(no module selected)' : module || '(root)';
  dom.title.textContent = `${model.get('model')} › ${name}`;
  dom.title.dataset.status = shown.module_status;
  const stale = view.lost !== '';
  dom.progress.textContent = stale ? staleText(shown) : progressText(shown);
  dom.progress.dataset.state = stale ? 'stale' : (shown.status?.state ?? 'idle');
  const off = disabledButtons(shown, view.busy, view.lost !== '');
  dom.distill.disabled = dom.explain.disabled = off.distill;
  dom.stop.disabled = off.stop;
  dom.replace.disabled = off.replace;
  dom.restore.disabled = off.restore;
  dom.compareButton.disabled = off.compare;
  const error = view.lost || model.get('error') || view.lostReply;
  dom.error.textContent = error;
  dom.error.hidden = !error;
  drawDetail(dom, model);
}

function drawDetail(dom: ILabDom, model: AnyModel<LabModel>): void {
  const detail = model.get('detail');
  dom.detail.hidden = !detail;
  if (!detail) return;
  if (dom.latex.dataset.id !== detail.id) renderLatex(dom.latex, detail);
  const state = model.get('status')?.state;
  dom.score.textContent = scoreText(detail, state === 'running' || state === 'stopping');
  dom.score.dataset.picked = String(detail.picked);
}

export function frontOf(dom: ILabDom, model: AnyModel<LabModel>, el: HTMLElement): void {
  const picked = new Set(Object.values(model.get('picks')));
  const detail = model.get('detail');
  if (detail) picked.add(detail.id);
  const module = model.get('module') ?? '';
  drawFront(dom.front, el, model.get('points'), picked, `Pareto front: ${module}`);
  dom.front.dataset.points = String(model.get('points').length);
}
