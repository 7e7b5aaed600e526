/**
 * The Lab's before/after view: the latest comparison as plotly bars (task metric, throughput)
 * and every record so far as points on a metric-vs-throughput scatter.
 */
import Plotly from 'plotly.js-dist-min';
import type { CompareRecord } from '../protocol';
import { themedLayout } from './theme';

function bars(plot: HTMLElement, el: HTMLElement, rec: CompareRecord): void {
  const base = themedLayout(el);
  const labels = ['original', 'hybrid'];
  const data = [
    {
      type: 'bar',
      x: labels,
      y: [rec.before, rec.after],
      name: rec.metric,
      xaxis: 'x',
      yaxis: 'y'
    },
    {
      type: 'bar',
      x: labels,
      y: [rec.throughput_before, rec.throughput_after],
      name: `${rec.unit}/s`,
      xaxis: 'x2',
      yaxis: 'y2'
    }
  ];
  const layout = {
    ...base,
    height: 260,
    showlegend: false,
    title: { text: `before/after: ${rec.label}`, font: { size: 13 } },
    grid: { rows: 1, columns: 2, pattern: 'independent' },
    yaxis: { ...(base.yaxis as object), title: { text: rec.metric } },
    yaxis2: { ...(base.yaxis as object), title: { text: `${rec.unit}/s` } }
  };
  void Plotly.react(plot, data, layout, { displaylogo: false, responsive: true });
}

function scatter(plot: HTMLElement, el: HTMLElement, records: CompareRecord[]): void {
  const base = themedLayout(el);
  const first = records[0];
  const data = [
    {
      type: 'scatter',
      mode: 'markers',
      name: 'original',
      x: [first.throughput_before],
      y: [first.before],
      text: ['original'],
      marker: { size: 10, symbol: 'square' }
    },
    {
      type: 'scatter',
      mode: 'markers+text',
      name: 'hybrids',
      textposition: 'top center',
      x: records.map(r => r.throughput_after),
      y: records.map(r => r.after),
      text: records.map(r => r.label),
      marker: { size: 10 }
    }
  ];
  const layout = {
    ...base,
    height: 260,
    title: { text: `${first.metric} vs throughput`, font: { size: 13 } },
    xaxis: { ...(base.xaxis as object), title: { text: `${first.unit}/s` } },
    yaxis: { ...(base.yaxis as object), title: { text: first.metric } }
  };
  void Plotly.react(plot, data, layout, { displaylogo: false, responsive: true });
}

export function drawCompare(box: HTMLElement, el: HTMLElement, records: CompareRecord[]): void {
  box.hidden = records.length === 0;
  box.dataset.records = String(records.length);
  if (records.length === 0) return;
  let [barPlot, scatterPlot] = [...box.children] as HTMLElement[];
  if (!scatterPlot) {
    barPlot = document.createElement('div');
    scatterPlot = document.createElement('div');
    barPlot.className = 'stl-lab-compare-bars';
    scatterPlot.className = 'stl-lab-compare-scatter';
    box.append(barPlot, scatterPlot);
  }
  bars(barPlot, el, records[records.length - 1]);
  scatter(scatterPlot, el, records);
}
