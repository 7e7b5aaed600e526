/**
 * DOM skeleton of the SlimeLab widget. Class names are a contract: browser tests and users' CSS
 * rely on them (`stl-slime-*`).
 */
import type { IPlotlyElement } from 'plotly.js-dist-min';
import type { SlimeSettings } from '../protocol';

function node<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = '') {
  const n = document.createElement(tag);
  n.className = cls;
  n.textContent = text;
  return n;
}

export type SettingName = keyof SlimeSettings;

export interface ISlider {
  input: HTMLInputElement;
  value: HTMLElement;
  label: HTMLElement;
}

export interface ISlimeDom {
  title: HTMLElement;
  sliders: Record<SettingName, ISlider>;
  stop: HTMLButtonElement;
  status: HTMLElement;
  rowPicker: HTMLElement;
  row: HTMLInputElement;
  explainRow: HTMLButtonElement;
  surface: IPlotlyElement;
  bars: HTMLElement;
  pd: HTMLElement;
  latex: HTMLElement;
  numbers: HTMLElement;
  front: HTMLElement;
  error: HTMLElement;
}

const SLIDERS: [SettingName, string, string][] = [
  ['num_neighbours', 'J', 'J: real neighbours of x0 (nearest rows of the data)'],
  ['num_synthetic', 'samples', 'Synthetic Gaussian samples around x0'],
  ['kernel_width', 'width', 'Kernel width of the weights (exp(−d²/width²) style)']
];

function slider(name: SettingName, text: string, title: string): ISlider {
  const label = node('label', `stl-slime-slider stl-slime-${name}`);
  label.title = title;
  const input = node('input', 'stl-slime-range');
  input.type = 'range';
  input.setAttribute('aria-label', title);
  const value = node('span', 'stl-slime-value');
  label.append(node('span', 'stl-slime-slider-name', text), input, value);
  return { input, value, label };
}

function button(cls: string, text: string, title: string): HTMLButtonElement {
  const b = node('button', `jp-Button stl-lab-button ${cls}`, text);
  b.type = 'button';
  b.title = title;
  return b;
}

export function buildSlimeDom(el: HTMLElement): ISlimeDom {
  el.classList.add('stl-slime');
  const sliders = {} as Record<SettingName, ISlider>;
  const controls = node('div', 'stl-slime-controls');
  for (const [name, text, title] of SLIDERS) {
    sliders[name] = slider(name, text, title);
    controls.append(sliders[name].label);
  }
  const dom: ISlimeDom = {
    title: node('div', 'stl-slime-title'),
    sliders,
    stop: button('stl-slime-stop', 'Stop', 'Stop the search; the partial front is kept'),
    status: node('div', 'stl-slime-status'),
    rowPicker: node('div', 'stl-slime-rowpicker'),
    row: node('input', 'stl-slime-row'),
    explainRow: button('stl-slime-explain-row', 'Explain row', 'Explain this data row'),
    surface: node('div', 'stl-slime-surface') as unknown as IPlotlyElement,
    bars: node('div', 'stl-slime-bars'),
    pd: node('div', 'stl-slime-pd'),
    latex: node('div', 'stl-slime-latex'),
    numbers: node('div', 'stl-slime-numbers'),
    front: node('div', 'stl-slime-front'),
    error: node('div', 'stl-slime-error')
  };
  controls.append(dom.stop);
  dom.row.type = 'number';
  dom.row.min = '0';
  dom.row.value = '0';
  dom.row.setAttribute('aria-label', 'data row');
  dom.rowPicker.append(node('span', 'stl-slime-slider-name', 'row'), dom.row, dom.explainRow);
  dom.error.setAttribute('role', 'alert');
  const side = node('div', 'stl-slime-side');
  side.append(dom.error, dom.latex, dom.numbers, dom.front);
  const main = node('div', 'stl-slime-main');
  main.append(dom.surface, dom.bars, side);
  // nothing above the surface changes height while explaining: a second click lands where aimed
  el.append(dom.title, controls, dom.status, dom.rowPicker, main, dom.pd);
  return dom;
}
