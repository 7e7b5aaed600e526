/**
 * Pareto-front plotting shared by the FrontWidget and the Lab: draws the traces and layout of
 * frontdata.ts with the current theme and reports clicks on points.
 */
import Plotly, { type IPlotlyElement } from 'plotly.js-dist-min';
import type { FrontPoint } from '../protocol';
import { frontLayout, frontTraces } from './frontdata';
import { readTheme } from './theme';

/** Draw (or update in place) the front in `plot`. */
export function drawFront(
  plot: HTMLElement,
  el: HTMLElement,
  points: FrontPoint[],
  picked: Set<string>,
  title: string
): void {
  const theme = readTheme(el);
  const data = frontTraces(points, picked, theme.accent);
  const layout = frontLayout(theme, title, points);
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
