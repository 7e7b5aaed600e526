/**
 * Comparison records → plotly traces and layouts (pure data, unit-tested in node). The bars say
 * what the metric is measured against, show every value as text and mark a zero bar (the
 * original scores 0 against its own output) so it does not vanish; the scatter keeps its labels
 * inside the figure.
 */
import type { CompareRecord } from '../protocol';
import { layoutFor, type ITheme } from './theme';

/** A record; `reference` says what its metric is measured against ("" in older session files). */
export type Rec = CompareRecord;

/** "mse vs <reference>": from the record's `reference`; without one, an error metric that is
 * exactly 0 for the original means the reference is the original network's own output. */
export function metricLabel(rec: Rec): string {
  const reference = rec.reference || (rec.before === 0 ? "the original network's output" : '');
  return reference ? `${rec.metric} vs ${reference}` : rec.metric;
}

export function valueText(x: number): string {
  return x === 0
    ? '0'
    : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3
      ? x.toExponential(2)
      : x.toPrecision(3);
}

function barPair(values: number[], axis: '' | '2', name: string, theme: ITheme): object[] {
  const x = ['original', 'hybrid'];
  const zeros = x.filter((_, i) => values[i] === 0);
  const bar = {
    type: 'bar',
    x,
    y: values,
    name,
    text: values.map(valueText),
    textposition: 'outside',
    cliponaxis: false,
    xaxis: `x${axis}`,
    yaxis: `y${axis}`
  };
  const zeroMark = {
    type: 'scatter',
    mode: 'markers',
    x: zeros,
    y: zeros.map(() => 0),
    name: `${name} = 0`,
    hoverinfo: 'skip',
    cliponaxis: false,
    marker: { symbol: 'line-ew', size: 40, line: { width: 3, color: theme.font } },
    xaxis: `x${axis}`,
    yaxis: `y${axis}`
  };
  return zeros.length ? [bar, zeroMark] : [bar];
}

export function compareBars(rec: Rec, theme: ITheme): { data: object[]; layout: object } {
  const base = layoutFor(theme);
  const label = metricLabel(rec);
  const data = [
    ...barPair([rec.before, rec.after], '', rec.metric, theme),
    ...barPair([rec.throughput_before, rec.throughput_after], '2', `${rec.unit}/s`, theme)
  ];
  const layout = {
    ...base,
    height: 280,
    showlegend: false,
    margin: { l: 60, r: 16, t: 56, b: 44 },
    title: { text: `before/after: ${rec.label}<br><sub>${label}</sub>`, font: { size: 13 } },
    // explicit domains leave room for the second y title between the two bar charts
    xaxis: { ...(base.xaxis as object), domain: [0, 0.4] },
    xaxis2: { ...(base.xaxis as object), domain: [0.6, 1], anchor: 'y2' },
    yaxis: { ...(base.yaxis as object), title: { text: rec.metric }, rangemode: 'tozero' },
    yaxis2: {
      ...(base.yaxis as object),
      title: { text: `${rec.unit}/s` },
      rangemode: 'tozero',
      anchor: 'x2'
    }
  };
  return { data, layout };
}

/** Text positions that keep labels inside the plot: the leftmost point labels to its right, the
 * rightmost to its left, the highest below itself (above it is the title). */
export function labelPositions(xs: number[], ys: number[]): string[] {
  const [lo, hi, top] = [Math.min(...xs), Math.max(...xs), Math.max(...ys)];
  return xs.map((x, i) => {
    const v = ys[i] === top ? 'bottom' : 'top';
    const h = xs.length > 1 && x === hi ? 'left' : x === lo ? 'right' : 'center';
    return `${v} ${h}`;
  });
}

export function compareScatter(records: Rec[], theme: ITheme): { data: object[]; layout: object } {
  const base = layoutFor(theme);
  const first = records[0];
  const xs = records.map(r => r.throughput_after);
  const ys = records.map(r => r.after);
  const data = [
    {
      type: 'scatter',
      mode: 'markers+text',
      name: 'original',
      x: [first.throughput_before],
      y: [first.before],
      text: ['original'],
      textposition: first.throughput_before <= Math.min(...xs) ? 'top right' : 'top left',
      marker: { size: 10, symbol: 'square' },
      cliponaxis: false
    },
    {
      type: 'scatter',
      mode: 'markers+text',
      name: 'hybrids',
      textposition: labelPositions(xs, ys),
      x: xs,
      y: ys,
      text: records.map(r => r.label),
      marker: { size: 10 },
      cliponaxis: false
    }
  ];
  const layout = {
    ...base,
    height: 280,
    margin: { l: 60, r: 24, t: 56, b: 44 },
    showlegend: false, // every point carries its label
    title: {
      text: `${first.metric} vs throughput<br><sub>${metricLabel(first)}</sub>`,
      font: { size: 13 }
    },
    xaxis: { ...(base.xaxis as object), title: { text: `${first.unit}/s` } },
    yaxis: { ...(base.yaxis as object), title: { text: first.metric }, rangemode: 'tozero' }
  };
  return { data, layout };
}
