/**
 * Every comparison record as a point on a metric-vs-throughput scatter (pure data, unit-tested
 * in node): only records measured like the newest one share its axes, the original network is
 * drawn for them, and labels stay inside the figure.
 */
import type { CompareRecord as Rec } from '../protocol';
import { metricLabel } from './comparedata';
import { layoutFor, titleBelowModebar, type ITheme } from './theme';

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

/** The records the scatter can plot together: those measured with the newest record's metric
 * against its reference (an MSE against targets and one against the original network are not
 * on one axis). */
export function comparable(records: Rec[]): Rec[] {
  const newest = records[records.length - 1];
  return records.filter(r => r.metric === newest.metric && r.reference === newest.reference);
}

function scatterSubtitle(newest: Rec, hidden: number): string {
  const note = hidden
    ? ` · ${hidden} record${hidden === 1 ? '' : 's'} with another metric or reference not shown`
    : '';
  return metricLabel(newest) + note;
}

export function compareScatter(records: Rec[], theme: ITheme): { data: object[]; layout: object } {
  const base = layoutFor(theme);
  const shown = comparable(records);
  const newest = shown[shown.length - 1];
  const xs = shown.map(r => r.throughput_after);
  const ys = shown.map(r => r.after);
  const data = [
    {
      type: 'scatter',
      mode: 'markers+text',
      name: 'original',
      x: [newest.throughput_before],
      y: [newest.before],
      text: ['original'],
      textposition: newest.throughput_before <= Math.min(...xs) ? 'top right' : 'top left',
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
      text: shown.map(r => r.label),
      marker: { size: 10 },
      cliponaxis: false
    }
  ];
  const { title, marginTop } = titleBelowModebar(
    `${newest.metric} vs throughput<br><sub>${scatterSubtitle(newest, records.length - shown.length)}</sub>`,
    2
  );
  const layout = {
    ...base,
    height: 280 + marginTop - 56,
    margin: { l: 60, r: 24, t: marginTop, b: 44 },
    showlegend: false, // every point carries its label
    title,
    xaxis: { ...(base.xaxis as object), title: { text: `${newest.unit}/s` } },
    yaxis: { ...(base.yaxis as object), title: { text: newest.metric }, rangemode: 'tozero' }
  };
  return { data, layout };
}
