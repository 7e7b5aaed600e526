/**
 * Lab widget view: live Pareto front of the selected module, progress and Stop, the clicked
 * candidate (LaTeX, scores, parity plot), Replace/Restore, and the before/after comparison.
 * State arrives as synced protocol snapshots (LabState); user intents go to the kernel as
 * protocol requests. A view only: nothing is computed here.
 */
import type { RenderProps } from '@anywidget/types';
import Plotly from 'plotly.js-dist-min';
import type { DistillSettings, RequestType } from '../protocol';
import { labBoundary } from './boundary';
import { onFrontClick } from './frontplot';
import { drawCompare } from './labcompare';
import { drawParity } from './labdetail';
import { buildLabDom } from './labdom';
import { drawState, frontOf, type IViewState, type LabModel } from './labdraw';
import { buildLawDom, drawLaw, wireLaw } from './labmarks';
import type { ProtocolError } from '../requests';
import { WidgetRequester, type Payload } from './labrequest';
import { watchConnection, watchKernel } from './liveness';
import { onThemeChange } from './theme';

const CLICK_DEBOUNCE_MS = 300;

export function renderLab({ model, el }: RenderProps<LabModel>): () => void {
  const [dom, law] = [buildLabDom(el), buildLawDom()];
  (dom.front as unknown as HTMLElement).after(law.form);
  dom.score.after(law.mark);
  const view: IViewState = { busy: false, lostReply: '', lost: '' };
  const redraw = () => {
    drawState(dom, model, view);
    const [known, error] = [model.get('known_law'), model.get('error')];
    const own = drawLaw(law, known, model.get('detail'), model.get('points'), error);
    dom.error.hidden ||= own; // the law's error shows beside its box
  };
  const lose = (message: string) => {
    view.lost ||= message;
    redraw();
  };
  const requests = new WidgetRequester(watchConnection(model, lose));
  const stopKernelWatch = watchKernel(model, lose); // a restart mid-search: say so at once
  const send = <K extends RequestType>(
    type: K,
    payload: Omit<Payload<K>, 'model'>,
    failed?: (error: ProtocolError) => void
  ) => {
    const full = { model: model.get('model'), ...payload } as unknown as Payload<K>;
    view.lostReply = '';
    requests.request(type, full).catch((error: ProtocolError) => {
      failed?.(error);
      if (error.code !== 'timeout' && error.code !== 'unavailable') return; // kernel errors: `error`
      view.lostReply = error.message;
      redraw();
    });
  };
  requests.onBusy = value => {
    view.busy = value;
    el.classList.toggle('stl-lab-busy', value);
    redraw();
  };
  const path = () => model.get('module') ?? '';
  const settings = (): DistillSettings => {
    const out: DistillSettings = {};
    if (dom.kIn.value !== '') out.k_in = Math.max(0, Math.round(Number(dom.kIn.value)));
    if (dom.kOut.value !== '') out.k_out = Math.max(0, Math.round(Number(dom.kOut.value)));
    return out;
  };
  dom.distill.addEventListener('click', () =>
    send('start_distill', { path: path(), settings: settings() })
  );
  const gradient: DistillSettings = { mode: 'gradient' };
  dom.explain.addEventListener('click', () =>
    send('start_distill', { path: path(), settings: gradient })
  );
  dom.stop.addEventListener('click', () => send('stop', { path: path() }));
  dom.replace.addEventListener('click', () => send('replace', { path: path() }));
  dom.restore.addEventListener('click', () => send('restore', { path: path() }));
  dom.compareButton.addEventListener('click', () => send('compare', {}));
  wireLaw(law, (text, failed) => send('set_known_law', { law: text }, failed), redraw);
  const front = () => frontOf(dom, model, el);
  const parity = () => {
    const detail = model.get('detail');
    dom.detail.hidden = !detail; // visible before plotly measures the plot's size
    if (detail) drawParity(dom.parity, el, detail, model.get('parity'));
  };
  const compare = () => drawCompare(dom.compare, el, model.get('records'), model.get('module'));
  const boundary = labBoundary(dom.boundary, el, model);
  const handlers: [string, () => void][] = [
    ['change:points change:picks change:module', front],
    ['change:detail', front],
    ['change:detail change:parity', parity],
    ['change:records change:module', compare],
    ['change:boundary change:boundary_grid', boundary],
    ['change:status change:module_status change:module change:error change:detail', redraw],
    ['change:points change:known_law', redraw]
  ];
  handlers.forEach(([events, fn]) => model.on(events, fn));
  [front, parity, compare, boundary, redraw].forEach(fn => fn());
  const stopTheme = onThemeChange(() => [front, parity, compare, boundary].forEach(fn => fn()));
  // plotly adds .on() to the element on its first draw, so listen after it
  let last = { id: '', at: 0 };
  onFrontClick(dom.front, (id, dim) => {
    const now = Date.now();
    if (id === last.id && now - last.at < CLICK_DEBOUNCE_MS) return;
    last = { id, at: now };
    const points = model.get('points');
    const d = dim ?? points.find(p => p.id === id)?.dim ?? 0;
    send('pick_candidate', { path: path(), dim: d, expression_id: id });
  });
  return () => {
    handlers.forEach(([events, fn]) => model.off(events as 'change:points', fn));
    requests.dispose();
    stopKernelWatch();
    stopTheme();
    const plots = [dom.front, dom.parity, dom.boundary, ...dom.compare.children];
    plots.forEach(n => Plotly.purge(n as HTMLElement));
  };
}
