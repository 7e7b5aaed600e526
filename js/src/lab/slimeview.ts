/**
 * The side panel's SLIME view: the notebook's SlimeExplainer / SlimeLab objects, a row picker,
 * and the chosen row's explanation (SLIME's expression, its fidelity against LIME's, LIME's
 * weights beside SLIME's local effects). Hidden while the kernel holds no explainer.
 */
import katex from 'katex';
import type * as P from '../protocol';
import {
  FIDELITY_HEADER,
  fidelityRows,
  fmt,
  statusText,
  summaryLines,
  table
} from '../widgets/slimetext';
import type { PanelConnection } from './connection';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = '') {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = text;
  return node;
}

export class SlimePanelView {
  readonly node = el('details', 'stl-panel-slime');

  constructor() {
    this.node.open = true;
    this.node.hidden = true;
    const picker = el('div', 'stl-panel-slime-row');
    this._row.type = 'number';
    this._row.min = '0';
    this._row.value = '0';
    this._row.setAttribute('aria-label', 'data row to explain');
    this._explain.type = this._stop.type = 'button';
    picker.append(this._select, el('span', '', 'row'), this._row, this._explain, this._stop);
    this._select.addEventListener('change', () => this._show(null, null));
    this._explain.addEventListener('click', () => this._send('slime_explain'));
    this._stop.addEventListener('click', () => this._send('slime_stop'));
    this.node.append(el('summary', 'stl-panel-slime-title', 'SLIME local explanations'));
    this.node.append(picker, this._status, this._latex, this._body);
  }

  /** A new kernel connection (null: none): listen to its events and ask for the list. */
  setConnection(conn: PanelConnection | null): void {
    this._conn = conn;
    this.setExplainers([]);
    if (!conn) return;
    conn.events.connect((_, event) => {
      if (event.type === 'explainers') this.setExplainers(event.explainers);
      else if (event.type === 'slime' && event.explainer === this._select.value) {
        this._show(event.status, event.summary);
      }
    });
  }

  /** Ask the kernel for its explainers again (the panel's refresh button). */
  refresh(): void {
    this._conn
      ?.request('list_explainers', {})
      .then(r => this.setExplainers(r.explainers))
      .catch(() => undefined);
  }

  setExplainers(list: P.ExplainerInfo[]): void {
    const keep = this._select.value;
    this._explainers = list;
    this._select.replaceChildren(
      ...list.map(e => new Option(`${e.name}: ${e.type} (${e.n_rows}×${e.n_features})`, e.name))
    );
    if (list.some(e => e.name === keep)) this._select.value = keep;
    this.node.hidden = list.length === 0;
    this._sync();
  }

  private _sync(): void {
    const info = this._explainers.find(e => e.name === this._select.value);
    this._row.max = String(Math.max(0, (info?.n_rows ?? 1) - 1));
  }

  private _send(type: 'slime_explain' | 'slime_stop'): void {
    const explainer = this._select.value;
    if (!this._conn || !explainer) return;
    this._sync();
    const row = Math.round(Number(this._row.value));
    const request =
      type === 'slime_explain'
        ? this._conn.request('slime_explain', { explainer, row })
        : this._conn.request('slime_stop', { explainer });
    request
      .then(ref => this._show(ref.status, null))
      .catch(error => {
        this._status.dataset.phase = 'error';
        this._status.textContent = String((error as Error).message);
      });
  }

  private _show(status: P.SlimeStatus | null, summary: P.SlimeSummary | null): void {
    this._status.dataset.phase = status?.phase ?? 'idle';
    this._status.textContent = status ? statusText(status) : '';
    this._stop.disabled = status?.phase !== 'running';
    if (status && status.phase === 'running') summary = null;
    this._latex.dataset.request = String(summary?.request ?? 0);
    if (!summary) {
      if (!status || status.phase === 'running') this._clear();
      return;
    }
    try {
      katex.render(`g(x) = ${summary.latex || summary.text}`, this._latex, {
        output: 'mathml',
        displayMode: true,
        throwOnError: true
      });
    } catch {
      this._latex.textContent = `g(x) = ${summary.text}`;
    }
    const all = [...summary.features_used, ...summary.lime_weights.map(w => w.feature)];
    const names = [...new Set(all)].slice(0, 8);
    const slime = new Map(summary.effects.map(e => [e.feature, e.weight]));
    const lime = new Map(summary.lime_weights.map(w => [w.feature, w.weight]));
    const effects = names.map(n => [n, fmt(lime.get(n) ?? 0), fmt(slime.get(n) ?? 0)]);
    const lines = summaryLines(summary, [])
      .slice(1)
      .map(t => el('div', 'stl-panel-slime-line', t));
    this._body.replaceChildren(
      table('stl-slime-fidelity', FIDELITY_HEADER, fidelityRows(summary)),
      table('stl-panel-slime-effects', ['feature', 'LIME weight', 'SLIME ∂g/∂x'], effects),
      ...lines
    );
  }

  private _clear(): void {
    this._latex.textContent = '';
    this._body.replaceChildren();
  }

  private _conn: PanelConnection | null = null;
  private _explainers: P.ExplainerInfo[] = [];
  private _select = el('select', 'stl-panel-slime-select');
  private _row = el('input', 'stl-panel-slime-rowinput');
  private _explain = el('button', 'jp-Button stl-panel-slime-explain', 'Explain');
  private _stop = el('button', 'jp-Button stl-panel-slime-stop', 'Stop');
  private _status = el('div', 'stl-panel-slime-status');
  private _latex = el('div', 'stl-panel-slime-latex');
  private _body = el('div', 'stl-panel-slime-body');
}
