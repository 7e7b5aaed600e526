/**
 * Drawing of the SlimeLab widget: the surface (2-D) or the bars and partial-dependence panels
 * (tabular) with plotly, the SLIME expression in LaTeX, the fidelity table and the streamed
 * local front. Reads the synced state; computes nothing.
 */
import type { AnyModel } from '@anywidget/types';
import katex from 'katex';
import Plotly from 'plotly.js-dist-min';
import type { SlimeState } from '../protocol';
import { floats, surfaceTraces } from './slimedata';
import type { ISlimeDom } from './slimedom';
import { pdLayout, pdTraces, weightLayout, weightTraces } from './slimetabular';
import { FIDELITY_HEADER, fidelityRows, fmt, summaryLines, table } from './slimetext';
import { readTheme, layoutFor } from './theme';

type Buffer = DataView | null;
export type SlimeModel = SlimeState & {
  _stl_kind: string;
  surface: Buffer;
  data: Buffer;
  neighbours: Buffer;
  synthetic: Buffer;
  slime_grid: Buffer;
  lime_grid: Buffer;
  pd: Buffer;
};
const CONFIG = { displaylogo: false, responsive: true };

export function drawSurface(dom: ISlimeDom, model: AnyModel<SlimeModel>, el: HTMLElement): void {
  const grid = model.get('grid');
  dom.surface.hidden = !grid;
  if (!grid) return;
  const theme = readTheme(el);
  const summary = model.get('summary');
  const buffers = {
    surface: floats(model.get('surface')),
    data: floats(model.get('data')),
    neighbours: summary ? floats(model.get('neighbours')) : new Float32Array(),
    synthetic: summary ? floats(model.get('synthetic')) : new Float32Array(),
    slime: summary ? floats(model.get('slime_grid')) : new Float32Array(),
    lime: summary ? floats(model.get('lime_grid')) : new Float32Array()
  };
  const base = layoutFor(theme);
  const layout = {
    ...base,
    height: 460,
    margin: { l: 50, r: 10, t: 30, b: 40 },
    title: { text: `${model.get('target')}: click to explain`, font: { size: 13 } },
    xaxis: {
      ...(base.xaxis as object),
      title: { text: grid.x_name },
      range: [grid.x_min, grid.x_max]
    },
    yaxis: {
      ...(base.yaxis as object),
      title: { text: grid.y_name },
      range: [grid.y_min, grid.y_max]
    },
    legend: { orientation: 'h', y: -0.14 },
    uirevision: 'keep'
  };
  void Plotly.react(dom.surface, surfaceTraces(grid, buffers, summary, theme), layout, CONFIG);
  dom.surface.dataset.request = String(summary?.request ?? 0);
}

export function drawTabular(dom: ISlimeDom, model: AnyModel<SlimeModel>, el: HTMLElement): void {
  const summary = model.get('summary');
  const tabular = model.get('kind') === 'tabular';
  dom.rowPicker.hidden = !tabular;
  dom.row.max = String(Math.max(0, model.get('n_rows') - 1));
  dom.bars.hidden = dom.pd.hidden = !tabular || !summary;
  if (!tabular || !summary) return;
  const theme = readTheme(el);
  const bars = weightTraces(summary, theme.accent);
  void Plotly.react(dom.bars, bars, weightLayout(theme, summary.lime_weights.length), CONFIG);
  const pd = floats(model.get('pd'));
  void Plotly.react(dom.pd, pdTraces(pd, summary, theme.accent), pdLayout(theme, summary), CONFIG);
}

export function drawSummary(dom: ISlimeDom, model: AnyModel<SlimeModel>): void {
  const summary = model.get('summary');
  dom.latex.dataset.request = String(summary?.request ?? 0);
  if (!summary) {
    dom.latex.textContent = '';
    dom.numbers.replaceChildren();
  } else {
    try {
      katex.render(`g(x) = ${summary.latex || summary.text}`, dom.latex, {
        output: 'mathml',
        displayMode: true,
        throwOnError: true
      });
    } catch {
      dom.latex.textContent = `g(x) = ${summary.text}`;
    }
    const lines = summaryLines(summary, model.get('feature_names')).map(text => {
      const p = document.createElement('div');
      p.textContent = text;
      return p;
    });
    dom.numbers.replaceChildren(
      table('stl-slime-fidelity', FIDELITY_HEADER, fidelityRows(summary)),
      ...lines
    );
  }
  const front = model.get('front');
  dom.front.replaceChildren(
    ...(front.length
      ? [
          table(
            'stl-slime-front-table',
            ['size', 'loss', 'local front'],
            front.map(p => [String(p.complexity), fmt(p.loss), p.text])
          )
        ]
      : [])
  );
  dom.front.dataset.points = String(front.length);
}

interface IAxis {
  _offset: number;
  p2l: (px: number) => number;
}

/** The data coordinates under a mouse event on the surface (plotly's own axis mapping), so
 * x0 is exactly where the user clicked: the click's point data is the last *hovered* cell,
 * which lags behind a fast mouse on a busy machine. */
export function pointerData(plot: HTMLElement, mouse: MouseEvent): number[] | null {
  const full = (plot as unknown as { _fullLayout?: { xaxis?: IAxis; yaxis?: IAxis } })._fullLayout;
  const xa = full?.xaxis;
  const ya = full?.yaxis;
  if (!xa || !ya) return null;
  const r = plot.getBoundingClientRect();
  const at = [
    xa.p2l(mouse.clientX - r.left - xa._offset),
    ya.p2l(mouse.clientY - r.top - ya._offset)
  ];
  return at.every(Number.isFinite) ? at : null;
}

/** Purge plotly's state from the widget's plots (view removed). */
export function purgePlots(dom: ISlimeDom): void {
  [dom.surface, dom.bars, dom.pd].forEach(n => Plotly.purge(n));
}
