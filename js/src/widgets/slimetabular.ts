/**
 * SlimeLab tabular view data → plotly traces (pure, unit-tested in node): LIME's weights beside
 * SLIME's local effects (∂g/∂x at x0) as bars, and one partial-dependence panel per feature with
 * f, LIME and SLIME along that feature (the others held at x0). The kernel computed the curves.
 */
import type { SlimeSummary } from '../protocol';
import { layoutFor, type ITheme } from './theme';

/** Bars: one trace for LIME, one for SLIME, over the same features (LIME's order). */
export function weightTraces(summary: SlimeSummary, accent: string): object[] {
  const features = summary.lime_weights.map(w => w.feature);
  const slime = new Map(summary.effects.map(e => [e.feature, e.weight]));
  const rev = [...features].reverse(); // plotly draws horizontal bars bottom-up
  return [
    {
      type: 'bar',
      orientation: 'h',
      name: 'LIME weight',
      y: rev,
      x: rev.map(f => summary.lime_weights.find(w => w.feature === f)?.weight ?? 0),
      marker: { color: '#7f7f7f' }
    },
    {
      type: 'bar',
      orientation: 'h',
      name: 'SLIME ∂g/∂x at x0',
      y: rev,
      x: rev.map(f => slime.get(f) ?? 0),
      marker: { color: accent }
    }
  ];
}

export function weightLayout(theme: ITheme, n: number): object {
  const base = layoutFor(theme);
  return {
    ...base,
    barmode: 'group',
    height: Math.max(180, 60 + 26 * n),
    margin: { l: 110, r: 16, t: 30, b: 36 },
    title: { text: 'local effect per feature', font: { size: 13 } },
    legend: { orientation: 'h', y: -0.2 }
  };
}

/** The `pd` buffer sliced per feature: x, f, LIME, SLIME (`n` values each). */
export function pdCurves(values: Float32Array, summary: SlimeSummary) {
  const n = summary.pd_points;
  return summary.pd_features.map((feature, k) => {
    const at = (j: number) => Array.from(values.subarray((4 * k + j) * n, (4 * k + j + 1) * n));
    return { feature, x: at(0), f: at(1), lime: at(2), slime: at(3) };
  });
}

/** One small panel per feature (subplots in a grid): f solid, LIME dashed, SLIME accent. */
export function pdTraces(values: Float32Array, summary: SlimeSummary, accent: string): object[] {
  const curves = pdCurves(values, summary);
  const out: object[] = [];
  curves.forEach((c, k) => {
    const axes = { xaxis: `x${k + 1}`, yaxis: `y${k + 1}`, showlegend: k === 0 };
    const line = (name: string, y: number[], style: object) => ({
      type: 'scatter',
      mode: 'lines',
      name,
      legendgroup: name,
      x: c.x,
      y,
      line: style,
      ...axes
    });
    out.push(
      line('f', c.f, { color: '#1f77b4', width: 2 }),
      line('LIME', c.lime, { color: '#7f7f7f', width: 2, dash: 'dash' }),
      line('SLIME', c.slime, { color: accent, width: 2 })
    );
  });
  return out;
}

export function pdLayout(theme: ITheme, summary: SlimeSummary): object {
  const base = layoutFor(theme);
  const n = summary.pd_features.length;
  const columns = Math.min(3, Math.max(1, n));
  const rows = Math.ceil(n / columns);
  const layout: Record<string, unknown> = {
    ...base,
    height: 70 + 170 * rows,
    grid: { rows, columns, pattern: 'independent' },
    title: { text: 'partial dependence at x0 (other features held)', font: { size: 13 } },
    legend: { orientation: 'v', x: 1.02, y: 1 } // beside the grid: never over an axis title
  };
  summary.pd_features.forEach((feature, k) => {
    const n = k === 0 ? '' : String(k + 1); // plotly names the first axes xaxis/yaxis, not xaxis1
    layout[`xaxis${n}`] = { ...(base.xaxis as object), title: { text: feature } };
    layout[`yaxis${n}`] = { ...(base.yaxis as object) };
  });
  return layout;
}
