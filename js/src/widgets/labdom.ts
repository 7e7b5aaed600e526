/**
 * DOM skeleton of the Lab widget. Class names are a contract (docs/lab.md): browser tests and
 * users' CSS rely on them.
 */
import type { IPlotlyElement } from 'plotly.js-dist-min';

function node<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = '') {
  const n = document.createElement(tag);
  n.className = cls;
  n.textContent = text;
  return n;
}

function button(cls: string, text: string, title: string): HTMLButtonElement {
  const b = node('button', `jp-Button stl-lab-button ${cls}`, text);
  b.type = 'button';
  b.title = title;
  return b;
}

function kInput(cls: string, label: string): HTMLInputElement {
  const input = node('input', `stl-lab-k ${cls}`);
  input.type = 'number';
  input.min = '0';
  input.placeholder = 'auto';
  input.title = `${label}: PCA components for the search (empty: 8 when wider than 8; 0: none)`;
  input.setAttribute('aria-label', label);
  return input;
}

export interface ILabDom {
  title: HTMLElement;
  kIn: HTMLInputElement;
  kOut: HTMLInputElement;
  distill: HTMLButtonElement;
  explain: HTMLButtonElement;
  boundary: HTMLElement;
  stop: HTMLButtonElement;
  progress: HTMLElement;
  front: IPlotlyElement;
  detail: HTMLElement;
  latex: HTMLElement;
  score: HTMLElement;
  parity: HTMLElement;
  replace: HTMLButtonElement;
  restore: HTMLButtonElement;
  compareButton: HTMLButtonElement;
  compare: HTMLElement;
  error: HTMLElement;
}

export function buildLabDom(el: HTMLElement): ILabDom {
  el.classList.add('stl-lab');
  const dom: ILabDom = {
    title: node('div', 'stl-lab-title'),
    kIn: kInput('stl-lab-k-in', 'k_in'),
    kOut: kInput('stl-lab-k-out', 'k_out'),
    distill: button('stl-lab-distill', 'Distill', 'Record this module and search expressions'),
    explain: button('stl-lab-explain', 'Explain', 'Symbolic gradients of a classifier or neuron'),
    boundary: node('div', 'stl-lab-boundary'),
    stop: button('stl-lab-stop', 'Stop', 'End the search after this generation (keeps the front)'),
    progress: node('span', 'stl-lab-progress'),
    front: node('div', 'stl-lab-front') as unknown as IPlotlyElement,
    detail: node('div', 'stl-lab-detail'),
    latex: node('div', 'stl-lab-latex'),
    score: node('div', 'stl-lab-score'),
    parity: node('div', 'stl-lab-parity'),
    replace: button('stl-lab-replace', 'Replace', 'Swap the module for the picked expressions'),
    restore: button('stl-lab-restore', 'Restore', 'Put the original module back'),
    compareButton: button('stl-lab-compare-button', 'Compare', 'Original vs hybrid'),
    compare: node('div', 'stl-lab-compare'),
    error: node('div', 'stl-lab-error')
  };
  const toolbar = node('div', 'stl-lab-toolbar');
  const k = node('label', 'stl-lab-k-label', 'k_in');
  const kOut = node('label', 'stl-lab-k-label', 'k_out');
  k.append(dom.kIn);
  kOut.append(dom.kOut);
  toolbar.append(dom.distill, dom.explain, k, kOut, dom.stop, dom.progress);
  dom.detail.append(dom.latex, dom.score, dom.parity);
  const actions = node('div', 'stl-lab-actions');
  actions.append(dom.replace, dom.restore, dom.compareButton);
  dom.error.setAttribute('role', 'alert');
  dom.boundary.hidden = true;
  const plots = [dom.front, dom.boundary, dom.detail];
  el.append(dom.title, toolbar, ...plots, actions, dom.compare, dom.error);
  return dom;
}
