/**
 * BoundaryWidget view: the network's decision boundary (f = 0, thick) with the level sets of a
 * formula g (thin; the level on the boundary dashed). The grids come from the kernel; a view only.
 */
import type { AnyModel, RenderProps } from '@anywidget/types';
import Plotly from 'plotly.js-dist-min';
import type { BoundaryState } from '../protocol';
import { boundaryLayout, boundaryTraces } from './boundarydata';
import { onThemeChange, readTheme } from './theme';

type Model = BoundaryState & { grid: DataView | null };

const KEYS: (keyof BoundaryState)[] = [
  'title',
  'x_label',
  'y_label',
  'x_range',
  'y_range',
  'nx',
  'ny',
  'g_levels',
  'g_boundary',
  'equation',
  'fixed'
];

/** The Lab widget's gradient-mode traits (LabState.boundary and its grid buffer). */
interface IBoundaryTraits {
  boundary: BoundaryState | null;
  boundary_grid: DataView | null;
}

/** A redraw for the Lab widget's boundary plot (hidden until an explanation arrives). */
export function labBoundary(
  plot: HTMLElement,
  el: HTMLElement,
  model: AnyModel<IBoundaryTraits>
): () => void {
  return () => {
    plot.hidden = !model.get('boundary');
    drawBoundary(plot, el, model.get('boundary'), model.get('boundary_grid'));
  };
}

/** Draw (or update) the boundary plot in `plot`; nothing without a grid. */
export function drawBoundary(
  plot: HTMLElement,
  el: HTMLElement,
  state: BoundaryState | null,
  grid: DataView | null
): void {
  if (!state || !grid || grid.byteLength === 0) return;
  const theme = readTheme(el);
  const traces = boundaryTraces(state, grid, theme);
  void Plotly.react(plot, traces, boundaryLayout(state, theme), { displaylogo: false });
}

export function renderBoundary({ model, el }: RenderProps<Model>): () => void {
  el.classList.add('stl-boundary');
  const plot = document.createElement('div');
  plot.className = 'stl-boundary-plot';
  const caption = document.createElement('div');
  caption.className = 'stl-boundary-equation';
  el.append(plot, caption);

  const draw = (): void => {
    const state = Object.fromEntries(KEYS.map(k => [k, model.get(k)])) as unknown as BoundaryState;
    caption.textContent = state.equation ? `g = ${state.equation}` : '';
    drawBoundary(plot, el, state, model.get('grid'));
  };
  draw();
  const stopTheme = onThemeChange(draw);
  const events = ['change:grid', 'change:g_levels', 'change:equation', 'change:title'] as const;
  events.forEach(name => model.on(name, draw));
  return () => {
    events.forEach(name => model.off(name, draw));
    stopTheme();
    Plotly.purge(plot);
  };
}
