/**
 * Text of the SLIME views (pure, unit-tested in node; shared by the widget and the side panel):
 * the status line, the fidelity table of SLIME against LIME and the summary lines. Numbers are
 * the kernel's; this only formats them.
 */
import type { SlimeFidelity, SlimeStatus, SlimeSummary } from '../protocol';

export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) {
    return value.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  }
  return String(Number(value.toPrecision(digits)));
}

/** The SlimeLab's title; the explainer's key shows only when the user named it (not "slime"). */
export function slimeTitle(explainer: string, target: string): string {
  const named = explainer && explainer.toLowerCase() !== 'slime' ? ` · ${explainer}` : '';
  return `SLIME${named} · local explanations of ${target}`;
}

export function statusText(status: SlimeStatus): string {
  const { phase, elapsed, n_candidates: n, message } = status;
  if (phase === 'idle') return message || 'Click the surface (or pick a row) to explain it.';
  const time = elapsed > 0 ? `, ${elapsed.toFixed(1)} s` : '';
  const cands = n > 0 ? `, ${n} expressions on the local front` : '';
  const tail = message ? ` · ${message}` : '';
  return `explanation ${status.request}: ${phase}${time}${cands}${tail}`;
}

export const FIDELITY_HEADER = ['', 'weighted MSE', 'R²', '|g(x0) − f(x0)|'];

function row(name: string, f: SlimeFidelity): string[] {
  return [name, fmt(f.weighted_mse), fmt(f.r2), fmt(f.abs_error_x0)];
}

/** Rows of the fidelity table: SLIME then LIME, on the same fresh neighbourhood. */
export function fidelityRows(summary: SlimeSummary): string[][] {
  return [row('SLIME', summary.fidelity), row('LIME', summary.lime_fidelity)];
}

/** The lines under the table: the point, f and g there, the samples and the LIME model. */
export function summaryLines(summary: SlimeSummary, names: string[]): string[] {
  const at = summary.x0.map((v, i) => `${names[i] ?? `x${i}`}=${fmt(v)}`).join(', ');
  const where = summary.row === null ? 'clicked point' : `row ${summary.row}`;
  const lime = summary.lime_weights
    .map(w => `${w.weight < 0 ? '−' : '+'} ${fmt(Math.abs(w.weight))}·${w.feature}`)
    .join(' ');
  const lines = [
    `${where}: ${at}`,
    `f(x0) = ${fmt(summary.f_x0)}, SLIME g(x0) = ${fmt(summary.g_x0)} (complexity ${summary.complexity})`,
    `${summary.n_neighbours} neighbours, ${summary.n_synthetic} synthetic samples`,
    `LIME: ${fmt(summary.lime_intercept)} ${lime}`
  ];
  if (summary.note) lines.push(summary.note);
  if (summary.stopped) lines.push('search stopped early: partial front');
  return lines;
}

/** A table element with a header row. */
export function table(cls: string, header: string[], rows: string[][]): HTMLTableElement {
  const t = document.createElement('table');
  t.className = cls;
  const tr = (cells: string[], tag: 'th' | 'td') => {
    const r = document.createElement('tr');
    cells.forEach(c => {
      const cell = document.createElement(tag);
      cell.textContent = c;
      r.append(cell);
    });
    return r;
  };
  t.append(tr(header, 'th'), ...rows.map(r => tr(r, 'td')));
  return t;
}
