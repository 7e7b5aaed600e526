/**
 * SlimeLab widget view: click the black box's decision surface (or pick a data row) and the
 * kernel explains that point with SLIME in the background; the partial local front streams in,
 * then the neighbours, synthetic samples, level sets, LaTeX and fidelity of SLIME and LIME.
 * Sliders for J, samples and kernel width re-explain the same point. A view only.
 */
import type { RenderProps } from '@anywidget/types';
import type { IPlotlyElement } from 'plotly.js-dist-min';
import type { SlimeSettings } from '../protocol';
import type { ProtocolError } from '../requests';
import { WidgetRequester, type Payload } from './labrequest';
import { watchConnection } from './liveness';
import { buildSlimeDom, type ISlimeDom, type SettingName } from './slimedom';
import {
  drawSummary,
  drawSurface,
  drawTabular,
  pointerData,
  purgePlots,
  type SlimeModel
} from './slimeplot';
import { fmt, slimeTitle, statusText } from './slimetext';
import { onThemeChange } from './theme';

/** Slider releases closer together than this send one request. */
const SLIDER_DEBOUNCE_MS = 250;
type AnyModel = RenderProps<SlimeModel>['model'];

function syncSliders(dom: ISlimeDom, model: AnyModel): void {
  const limits = model.get('limits');
  const settings = model.get('settings');
  for (const name of Object.keys(dom.sliders) as SettingName[]) {
    const { input, value } = dom.sliders[name];
    const [lo, hi] = limits[name];
    input.min = String(lo);
    input.max = String(hi);
    input.step = name === 'kernel_width' ? String((hi - lo) / 100) : '1';
    if (document.activeElement !== input) input.value = String(settings[name] ?? lo);
    value.textContent = fmt(Number(input.value));
  }
}

function drawStatus(dom: ISlimeDom, model: AnyModel, lost: string): void {
  const status = model.get('status');
  dom.status.textContent = statusText(status);
  dom.status.dataset.phase = status.phase;
  dom.status.dataset.request = String(status.request);
  dom.stop.disabled = status.phase !== 'running' || lost !== '';
  dom.title.textContent = slimeTitle(model.get('explainer'), model.get('target'));
  const error = lost || model.get('error');
  dom.error.textContent = error;
  dom.error.hidden = !error;
}

export function renderSlime({ model, el }: RenderProps<SlimeModel>): () => void {
  const dom = buildSlimeDom(el);
  let lost = '';
  const status = () => drawStatus(dom, model, lost);
  const requests = new WidgetRequester(
    watchConnection(model, message => {
      lost = message;
      status();
    })
  );
  const send = <K extends 'slime_explain' | 'slime_stop'>(type: K, payload: Payload<K>) =>
    requests.request(type, payload).catch((error: ProtocolError) => {
      if (error.code === 'timeout' || error.code === 'unavailable') {
        lost = lost || error.message;
        status();
      } // kernel errors arrive in the `error` trait
    });
  const settings = (): SlimeSettings => {
    const out: SlimeSettings = {};
    for (const name of Object.keys(dom.sliders) as SettingName[]) {
      out[name] = Number(dom.sliders[name].input.value);
    }
    return out;
  };
  const explainer = () => model.get('explainer');
  const explainAt = (x0: number[]) =>
    void send('slime_explain', { explainer: explainer(), x0, settings: settings() });
  const explainRow = (row: number) =>
    void send('slime_explain', { explainer: explainer(), row, settings: settings() });
  let timer: ReturnType<typeof setTimeout> | null = null;
  const again = () => {
    const summary = model.get('summary');
    if (!summary) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (summary.row !== null) explainRow(summary.row);
      else explainAt(summary.x0);
    }, SLIDER_DEBOUNCE_MS);
  };
  for (const name of Object.keys(dom.sliders) as SettingName[]) {
    const { input, value } = dom.sliders[name];
    input.addEventListener('input', () => (value.textContent = fmt(Number(input.value))));
    input.addEventListener('change', again);
  }
  dom.stop.addEventListener('click', () => void send('slime_stop', { explainer: explainer() }));
  dom.explainRow.addEventListener('click', () => explainRow(Math.round(Number(dom.row.value))));
  const surface = () => drawSurface(dom, model, el);
  const tabular = () => drawTabular(dom, model, el);
  const summary = () => drawSummary(dom, model);
  const sliders = () => syncSliders(dom, model);
  const handlers: [string, () => void][] = [
    ['change:grid change:surface change:data change:summary change:slime_grid', surface],
    ['change:neighbours change:synthetic change:lime_grid', surface],
    ['change:summary change:pd change:kind change:n_rows', tabular],
    ['change:summary change:front', summary],
    ['change:settings change:limits', sliders],
    ['change:status change:error', status]
  ];
  handlers.forEach(([events, fn]) => model.on(events, fn));
  [sliders, status, surface, tabular, summary].forEach(fn => fn());
  const stopTheme = onThemeChange(() => [surface, tabular].forEach(fn => fn()));
  const plot = dom.surface as IPlotlyElement; // plotly adds .on() on its first draw
  if (typeof plot.on === 'function') {
    plot.on('plotly_click', event => {
      const mouse = (event as unknown as { event?: MouseEvent }).event;
      const point = event.points[0] as unknown as { x?: unknown; y?: unknown } | undefined;
      const cell = [point?.x, point?.y].filter((v): v is number => typeof v === 'number');
      const at = (mouse && pointerData(plot, mouse)) || (cell.length === 2 ? cell : null);
      if (at) explainAt(at);
    });
  }
  return () => {
    handlers.forEach(([events, fn]) => model.off(events as 'change:summary', fn));
    if (timer !== null) clearTimeout(timer);
    requests.dispose();
    stopTheme();
    purgePlots(dom);
  };
}
