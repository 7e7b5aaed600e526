/**
 * The Lab's detail pane: the clicked candidate in LaTeX (KaTeX, rendered to MathML so no fonts
 * or CSS are needed, offline) and a parity plot (network
 * output vs expression output) from the binary `parity` buffer; its score line is in labstate.ts.
 */
import katex from 'katex';
import Plotly from 'plotly.js-dist-min';
import type { CandidateDetail } from '../protocol';
import { accentColor, themedLayout } from './theme';

/** `n` network outputs then `n` expression outputs, float32, from the trait's DataView. */
export function parityArrays(view: DataView | null, n: number): [Float32Array, Float32Array] {
  if (!view || n === 0 || view.byteLength < 8 * n) return [new Float32Array(), new Float32Array()];
  const all = new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + 8 * n));
  return [all.subarray(0, n), all.subarray(n, 2 * n)];
}

export function renderLatex(node: HTMLElement, detail: CandidateDetail): void {
  node.dataset.id = detail.id;
  try {
    katex.render(detail.latex || detail.text, node, {
      output: 'mathml',
      displayMode: true,
      throwOnError: true
    });
  } catch {
    node.textContent = detail.text; // plain text when KaTeX cannot parse the LaTeX
  }
}

export function drawParity(
  plot: HTMLElement,
  el: HTMLElement,
  d: CandidateDetail,
  view: DataView | null
): void {
  const [net, expr] = parityArrays(view, d.n_parity);
  const base = themedLayout(el);
  const lo = Math.min(...net, ...expr);
  const hi = Math.max(...net, ...expr);
  const ok = Number.isFinite(lo) && Number.isFinite(hi);
  const diagonal = {
    type: 'scatter',
    mode: 'lines',
    x: [lo, hi],
    y: [lo, hi],
    name: 'y = x',
    line: { dash: 'dot', width: 1 },
    hoverinfo: 'skip'
  };
  const data = [
    {
      type: 'scattergl',
      mode: 'markers',
      x: net,
      y: expr,
      name: 'rows',
      marker: { size: 4, opacity: 0.5, color: accentColor(el) }
    },
    ...(ok ? [diagonal] : [])
  ];
  const layout = {
    ...base,
    height: 280,
    showlegend: false,
    title: { text: `parity, dim ${d.dim} (${d.n_parity} recorded rows)`, font: { size: 13 } },
    xaxis: { ...(base.xaxis as object), title: { text: 'network output' } },
    yaxis: { ...(base.yaxis as object), title: { text: 'expression output' } }
  };
  void Plotly.react(plot, data, layout, { displaylogo: false, responsive: true });
}
