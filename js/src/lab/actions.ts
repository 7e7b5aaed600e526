/**
 * The panel's action bar: the selected module with a Distill button, and the running search's
 * progress with a Stop button. Buttons call back into the panel, which sends the requests.
 */
import type { SearchStatus } from '../protocol';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = '') {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = text;
  return node;
}

export class PanelActions {
  readonly node = el('div', 'stl-panel-actions');
  onDistill: (path: string) => void = () => undefined;
  onStop: (path: string) => void = () => undefined;

  constructor() {
    this._distill.type = this._stop.type = 'button';
    this._distill.title = 'Record the selected module and search expressions (background)';
    this._stop.title = 'End the search after this generation; the partial front is kept';
    this._distill.addEventListener('click', () => {
      if (this._path !== null) this.onDistill(this._path); // '' is the root module
    });
    this._stop.addEventListener('click', () => {
      if (this._running !== null) this.onStop(this._running);
    });
    const row = el('div', 'stl-panel-action-row');
    row.append(this._selected, this._distill);
    const progressRow = el('div', 'stl-panel-action-row');
    progressRow.append(this._progress, this._stop);
    this.node.append(row, progressRow);
    this.setSelection(null);
    this.setStatus(null);
  }

  /** The module the user clicked (null: none). */
  setSelection(path: string | null): void {
    this._path = path;
    this._selected.textContent = path === null ? 'Click a module to select it.' : path || '(root)';
    this._distill.disabled = path === null;
    this.node.dataset.selected = path ?? '';
  }

  /** Latest search status from the kernel (null hides the progress row). */
  setStatus(status: SearchStatus | null): void {
    if (status && this._path === null) this.setSelection(status.path); // the Lab's module
    const active = status && (status.state === 'running' || status.state === 'stopping');
    this._running = active ? status.path : null;
    this._stop.disabled = !status || status.state !== 'running';
    this._stop.hidden = !active;
    this._progress.dataset.state = status?.state ?? 'idle';
    const where = status?.generation ? `, generation ${status.generation}` : '';
    const time = status?.elapsed ? `, ${status.elapsed.toFixed(1)} s` : '';
    this._progress.textContent = status
      ? `${status.path || '(root)'}: ${status.state}${where}${time} · ${status.message}`
      : '';
  }

  /** Show a failed action (the kernel's error message). */
  setError(text: string): void {
    this._progress.dataset.state = 'error';
    this._progress.textContent = text;
  }

  private _path: string | null = null;
  private _running: string | null = null;
  private _selected = el('span', 'stl-panel-selected');
  private _distill = el('button', 'jp-Button stl-panel-distill', 'Distill');
  private _stop = el('button', 'jp-Button stl-panel-stop', 'Stop');
  private _progress = el('span', 'stl-panel-progress');
}
