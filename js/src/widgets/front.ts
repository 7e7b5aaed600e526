/**
 * FrontWidget view: the Pareto front (complexity vs loss, log y), one trace per output
 * dimension. Clicking a point writes its expression id to the `selected` trait. A view only.
 */
import type { AnyModel, RenderProps } from '@anywidget/types';
import Plotly, { type IPlotlyElement } from 'plotly.js-dist-min';
import type { FrontPoint, FrontState } from '../protocol';
import { accentColor, themedLayout } from './theme';

function traces(points: FrontPoint[], selected: string | null, accent: string): object[] {
  const dims = [...new Set(points.map(p => p.dim))].sort((a, b) => a - b);
  return dims.map(dim => {
    const pts = points.filter(p => p.dim === dim).sort((a, b) => a.complexity - b.complexity);
    const isSel = pts.map(p => p.id === selected);
    return {
      type: 'scatter',
      mode: 'lines+markers',
      line: { shape: 'hv', width: 1 },
      name: `dim ${dim}`,
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

function layout(el: HTMLElement, model: AnyModel<FrontState>): object {
  const base = themedLayout(el);
  const dims = new Set(model.get('points').map(p => p.dim)).size;
  return {
    ...base,
    title: { text: model.get('title'), font: { size: 14 } },
    height: 320,
    showlegend: dims > 1,
    xaxis: { ...(base.xaxis as object), title: { text: 'complexity' }, dtick: 1 },
    yaxis: { ...(base.yaxis as object), title: { text: 'loss' }, type: 'log' }
  };
}

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
    const data = traces(points, selected, accentColor(el));
    const config = { displaylogo: false, responsive: true };
    void Plotly.react(plot, data, layout(el, model), config);
  };
  draw();
  plot.on('plotly_click', event => {
    const id = event.points[0]?.customdata;
    if (typeof id === 'string' && id !== model.get('selected')) {
      model.set('selected', id);
      model.save_changes();
    }
  });
  const events = ['change:points', 'change:selected', 'change:title'] as const;
  events.forEach(name => model.on(name, draw));
  return () => {
    events.forEach(name => model.off(name, draw));
    Plotly.purge(plot);
  };
}
