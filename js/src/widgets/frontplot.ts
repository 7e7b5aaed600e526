/**
 * Pareto-front plotting shared by the FrontWidget and the Lab: complexity vs loss (log y), one
 * trace per output dimension, picked points enlarged and outlined.
 */
import Plotly, { type IPlotlyElement } from 'plotly.js-dist-min';
import type { FrontPoint } from '../protocol';
import { accentColor, themedLayout } from './theme';

/** Sorted output dims present in `points`. */
export function dimsOf(points: FrontPoint[]): number[] {
  return [...new Set(points.map(p => p.dim))].sort((a, b) => a - b);
}

export function frontTraces(points: FrontPoint[], picked: Set<string>, accent: string): object[] {
  return dimsOf(points).map(dim => {
    const pts = points.filter(p => p.dim === dim).sort((a, b) => a.complexity - b.complexity);
    const isSel = pts.map(p => picked.has(p.id));
    return {
      type: 'scatter',
      mode: 'lines+markers',
      line: { shape: 'hv', width: 1 },
      name: `dim ${dim}`,
      meta: dim,
      x: pts.map(p => p.complexity),
      y: pts.map(p => p.loss),
      customdata: pts.map(p => p.id),
      text: pts.map(p => p.text),
      hovertemplate: '%{text}<br>complexity %{x}, loss %{y:.3g}<extra>dim ' + dim + '</extra>',
      marker: {
        size: isSel.map(s => (s ? 14 : 9)),
        line: { width: isSel.map(s => (s ? 2 : 0)), color: accent }
      }
    };
  });
}

export function frontLayout(el: HTMLElement, title: string, nDims: number): object {
  const base = themedLayout(el);
  return {
    ...base,
    title: { text: title, font: { size: 14 } },
    height: 320,
    showlegend: nDims > 1,
    xaxis: { ...(base.xaxis as object), title: { text: 'complexity' }, dtick: 1 },
    yaxis: { ...(base.yaxis as object), title: { text: 'loss' }, type: 'log' }
  };
}

/** Draw (or update in place) the front in `plot`. */
export function drawFront(
  plot: HTMLElement,
  el: HTMLElement,
  points: FrontPoint[],
  picked: Set<string>,
  title: string
): void {
  const data = frontTraces(points, picked, accentColor(el));
  const layout = frontLayout(el, title, dimsOf(points).length);
  void Plotly.react(plot, data, layout, { displaylogo: false, responsive: true });
}

/** Call `handler(id, dim)` when a front point is clicked. */
export function onFrontClick(
  plot: IPlotlyElement,
  handler: (id: string, dim: number | null) => void
): void {
  plot.on('plotly_click', event => {
    const point = event.points[0];
    const id = point?.customdata;
    const dim = point?.data?.meta;
    if (typeof id === 'string') handler(id, typeof dim === 'number' ? dim : null);
  });
}
