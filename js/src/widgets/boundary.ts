/**
 * BoundaryWidget view: the network's decision boundary (f = 0, thick) with the level sets of a
 * formula g (thin; the level on the boundary dashed). The grids come from the kernel; a view only.
 */
import type { RenderProps } from '@anywidget/types';
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
    const theme = readTheme(el);
    const grid = model.get('grid');
    if (!grid || grid.byteLength === 0) return;
    const traces = boundaryTraces(state, grid, theme);
    void Plotly.react(plot, traces, boundaryLayout(state, theme), { displaylogo: false });
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
