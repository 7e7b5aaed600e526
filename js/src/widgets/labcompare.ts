/**
 * The Lab's before/after view: the latest comparison as plotly bars (task metric, throughput)
 * and every record so far as points on a metric-vs-throughput scatter.
 */
import Plotly from 'plotly.js-dist-min';
import type { CompareRecord } from '../protocol';
import { compareBars, otherModuleNote } from './comparedata';
import { compareScatter } from './comparescatter';
import { readTheme } from './theme';

const CONFIG = { displaylogo: false, responsive: true };

export function drawCompare(
  box: HTMLElement,
  el: HTMLElement,
  records: CompareRecord[],
  selected: string | null
): void {
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
  const theme = readTheme(el);
  const newest = records[records.length - 1];
  const bars = compareBars(newest, theme, selected);
  box.dataset.otherModule = String(otherModuleNote(newest, selected) !== '');
  const scatter = compareScatter(records, theme);
  void Plotly.react(barPlot, bars.data, bars.layout, CONFIG);
  void Plotly.react(scatterPlot, scatter.data, scatter.layout, CONFIG);
}
