/**
 * Comparison records → plotly traces and layouts (pure data, unit-tested in node). The bars say
 * what the metric is measured against, show every value as text and mark a zero bar (the
 * original scores 0 against its own output) so it does not vanish (the scatter of every record
 * is in comparescatter.ts).
 */
import type { CompareRecord } from '../protocol';
import { layoutFor, titleBelowModebar, type ITheme } from './theme';

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

/** "batch 300 items · cpu": what the throughput was timed on ('' for records without it). */
export function timedOn(rec: Rec): string {
  const parts = [rec.batch ? `batch ${rec.batch} ${rec.unit}` : '', rec.device ?? ''];
  return parts.filter(Boolean).join(' · ');
}

/** Said under the title when the selected module is not one the record replaced. */
export function otherModuleNote(rec: Rec, selected: string | null): string {
  if (selected === null || rec.paths.includes(selected)) return '';
  return `measured with ${rec.label} replaced, not for the selected ${selected || '(root)'}`;
}

/** The newest record's bars; `selected`: the module the Lab shows (null: none). */
export function compareBars(
  rec: Rec,
  theme: ITheme,
  selected: string | null = null
): { data: object[]; layout: object } {
  const base = layoutFor(theme);
  const label = metricLabel(rec);
  const note = otherModuleNote(rec, selected);
  const timed = timedOn(rec);
  const data = [
    ...barPair([rec.before, rec.after], '', rec.metric, theme),
    ...barPair([rec.throughput_before, rec.throughput_after], '2', `${rec.unit}/s`, theme)
  ];
  const sub = [label, timed && `${rec.unit}/s timed on ${timed}`].filter(Boolean).join('; ');
  const lines = [`before/after: ${rec.label}`, `<sub>${sub}</sub>`];
  if (note) lines.push(`<sub>${note}</sub>`);
  const { title, marginTop } = titleBelowModebar(lines.join('<br>'), lines.length);
  const layout = {
    ...base,
    height: 280 + marginTop - 56,
    showlegend: false,
    margin: { l: 60, r: 16, t: marginTop, b: 44 },
    title,
    // explicit domains leave room for the second y title between the two bar charts
    xaxis: { ...(base.xaxis as object), domain: [0, 0.4] },
    xaxis2: { ...(base.xaxis as object), domain: [0.6, 1], anchor: 'y2' },
    yaxis: { ...(base.yaxis as object), title: { text: rec.metric }, rangemode: 'tozero' },
    yaxis2: {
      ...(base.yaxis as object),
      title: { text: timed ? `${rec.unit}/s (${timed})` : `${rec.unit}/s` },
      rangemode: 'tozero',
      anchor: 'x2'
    }
  };
  return { data, layout };
}
