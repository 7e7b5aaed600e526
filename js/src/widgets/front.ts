/**
 * FrontWidget view: the Pareto front (complexity vs loss, log y), one trace per output
 * dimension. Clicking a point writes its expression id to the `selected` trait. A view only.
 */
import type { RenderProps } from '@anywidget/types';
import Plotly, { type IPlotlyElement } from 'plotly.js-dist-min';
import type { FrontState } from '../protocol';
import { drawFront, onFrontClick } from './frontplot';
import { onThemeChange } from './theme';

export function renderFront({ model, el }: RenderProps<FrontState>): () => void {
  el.classList.add('stl-front');
  const plot = document.createElement('div') as unknown as IPlotlyElement;
  plot.className = 'stl-front-plot';
  const caption = document.createElement('div');
  caption.className = 'stl-front-selected';
  el.append(plot, caption);

  const draw = (): void => {
    const points = model.get('points');
    const selected = model.get('selected');
    const chosen = points.find(p => p.id === selected);
    caption.textContent = chosen ? `selected: ${chosen.text}` : '';
    caption.dataset.selected = selected ?? '';
    const picked = new Set(selected ? [selected] : []);
    drawFront(plot, el, points, picked, model.get('title'));
  };
  draw();
  const stopTheme = onThemeChange(draw);
  onFrontClick(plot, id => {
    if (id !== model.get('selected')) {
      model.set('selected', id);
      model.save_changes();
    }
  });
  const events = ['change:points', 'change:selected', 'change:title'] as const;
  events.forEach(name => model.on(name, draw));
  return () => {
    events.forEach(name => model.off(name, draw));
    stopTheme();
    Plotly.purge(plot);
  };
}
