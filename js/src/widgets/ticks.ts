/**
 * Tick labels for log-scaled loss axes. Plotly's own log ticks read "10, 5, 2, 1, 5, 2, 0.1" over
 * a short range and use SI prefixes ("1f, 1p, 1µ") over a long one; losses read better as powers
 * of ten, so the ticks are chosen here: one per decade (every k-th decade over a long range), and
 * 1-2-5 steps (1-2-3-5 within one decade) over a short range.
 */

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹'
};

/** Most labelled ticks on one axis. */
export const MAX_TICKS = 8;

/** `m × 10^e` as text: "10⁻³", "2×10⁻³", "1", "10", "5×10²". */
export function powerText(mantissa: number, exponent: number): string {
  if (exponent === 0) return String(mantissa);
  if (exponent === 1) return String(mantissa * 10);
  const power = '10' + [...String(exponent)].map(c => SUPERSCRIPT[c]).join('');
  return mantissa === 1 ? power : `${mantissa}×${power}`;
}

export interface ILogTicks {
  tickvals: number[];
  ticktext: string[];
}

/** Ticks for a log axis showing `values` (non-positive and non-finite values are ignored). */
export function logTicks(values: number[]): ILogTicks {
  const shown = values.filter(v => Number.isFinite(v) && v > 0);
  if (shown.length === 0) return { tickvals: [], ticktext: [] };
  const lo = Math.floor(Math.log10(Math.min(...shown)));
  const hi = Math.ceil(Math.log10(Math.max(...shown)));
  const span = Math.log10(Math.max(...shown) / Math.min(...shown));
  const mantissas = span <= 1 ? [1, 2, 3, 5] : span <= 2 ? [1, 2, 5] : [1];
  const step = Math.ceil(Math.max(hi - lo, 1) / MAX_TICKS);
  const ticks: ILogTicks = { tickvals: [], ticktext: [] };
  for (let e = lo; e <= hi; e += step) {
    for (const m of e < hi ? mantissas : [1]) {
      ticks.tickvals.push(Number(`${m}e${e}`));
      ticks.ticktext.push(powerText(m, e));
    }
  }
  return ticks;
}

/** Plotly axis settings for a log axis of `values` with those ticks. */
export function logAxis(values: number[]): Record<string, unknown> {
  const { tickvals, ticktext } = logTicks(values);
  if (tickvals.length === 0) return { type: 'log', exponentformat: 'power' };
  return { type: 'log', tickmode: 'array', tickvals, ticktext };
}
