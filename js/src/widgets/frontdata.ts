/**
 * Front points → plotly traces and layout (pure data, no plotly import, so it is unit-tested in
 * node): complexity vs loss on a log axis, one trace per output dimension sorted by complexity,
 * picked points enlarged and outlined, members that recover the known law drawn as stars and
 * dimensionally inconsistent ones as open circles.
 */
import type { FrontPoint } from '../protocol';
import { layoutFor, type ITheme } from './theme';
import { logAxis } from './ticks';

/** Sorted output dims present in `points`. */
export function dimsOf(points: FrontPoint[]): number[] {
  return [...new Set(points.map(p => p.dim))].sort((a, b) => a - b);
}

/** Plotly marker symbol of a point: the engine's law and units marks. */
export function markSymbol(p: FrontPoint): string {
  if (p.recovers_law) return 'star';
  return p.units_ok === false ? 'circle-open' : 'circle';
}

function markNote(p: FrontPoint): string {
  const law = p.recovers_law ? '<br>recovers the known law' : '';
  return law + (p.units_ok === false ? '<br>dimensionally inconsistent' : '');
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
      text: pts.map(p => p.text + markNote(p)),
      hovertemplate: '%{text}<br>complexity %{x}, loss %{y:.3g}<extra>dim ' + dim + '</extra>',
      marker: {
        size: isSel.map(s => (s ? 14 : 9)),
        symbol: pts.map(markSymbol),
        line: { width: isSel.map(s => (s ? 2 : 0)), color: accent }
      }
    };
  });
}

export function frontLayout(theme: ITheme, title: string, points: FrontPoint[]): object {
  const base = layoutFor(theme);
  return {
    ...base,
    title: { text: title, font: { size: 14 } },
    height: 320,
    showlegend: dimsOf(points).length > 1,
    xaxis: { ...(base.xaxis as object), title: { text: 'complexity' }, dtick: 1 },
    yaxis: {
      ...(base.yaxis as object),
      title: { text: 'loss' },
      ...logAxis(points.map(p => p.loss))
    }
  };
}
