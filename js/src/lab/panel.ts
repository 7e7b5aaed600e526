/**
 * The side panel: follows the active notebook's kernel, lists its models, shows the module tree
 * of the chosen one and sends clicks to the kernel. Connects only while visible.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type * as P from '../protocol';
import { PanelConnection } from './connection';
import { ModuleTreeView } from './tree';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = '') {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = text;
  return node;
}

export class SidePanel extends Widget {
  readonly tree = new ModuleTreeView();
  /** Row of tool buttons next to the title (filled by the plugin from its commands). */
  readonly toolbar = el('div', 'stl-panel-toolbar');

  constructor(private readonly _tracker: INotebookTracker) {
    super();
    this.addClass('stl-panel');
    const header = el('div', 'stl-panel-header');
    const titleRow = el('div', 'stl-panel-titlerow');
    titleRow.append(el('span', 'stl-panel-title', 'Symbolic distillation'), this.toolbar);
    header.append(titleRow, this._select);
    this._select.className = 'stl-model-select';
    this._select.title = 'Model (an nn.Module in the notebook namespace)';
    this._select.addEventListener('change', () => this._chooseModel(this._select.value));
    this.node.append(header, this._status, this.tree.node);
    this.tree.onSelect = path => void this._selectModule(path);
    _tracker.currentChanged.connect(() => this._follow());
  }

  /** Ask the kernel for the model list and the current tree again. */
  async refresh(): Promise<void> {
    if (!this._conn) return this._follow();
    const { models } = await this._conn.request('list_models', {});
    this._setModels(models);
    if (this._model) this._chooseModel(this._model); // re-fetch the tree even if unchanged
  }

  protected onAfterShow(_msg: Message): void {
    this._follow();
  }

  private _follow(): void {
    const notebook = this._tracker.currentWidget;
    if (notebook !== this._notebook) {
      this._notebook?.sessionContext.statusChanged.disconnect(this._onKernelStatus, this);
      this._notebook?.sessionContext.kernelChanged.disconnect(this._follow, this);
      this._notebook = notebook;
      notebook?.sessionContext.statusChanged.connect(this._onKernelStatus, this);
      notebook?.sessionContext.kernelChanged.connect(this._follow, this);
    }
    void this._connect();
  }

  private _onKernelStatus(): void {
    const status = this._notebook?.sessionContext.kernelDisplayStatus;
    if (status === 'idle' && !this._conn) void this._connect();
  }

  private async _connect(): Promise<void> {
    const kernel = this._notebook?.sessionContext.session?.kernel ?? null;
    if (this._conn && this._conn.kernel === kernel) return;
    this._conn?.dispose();
    this._conn = null;
    this._setModels([]);
    if (!this.isVisible) return;
    if (!kernel) return this._setStatus('idle', 'Open a notebook with a running kernel.');
    const conn = new PanelConnection(kernel);
    this._conn = conn;
    conn.events.connect((_, event) => this._onEvent(event));
    conn.closed.connect(() => {
      if (this._conn !== conn) return;
      this._conn = null;
      this._setStatus('idle', 'Kernel connection closed; reconnecting when it is idle.');
    });
    this._setStatus('connecting', 'Connecting to the kernel…');
    try {
      await conn.open();
      if (this._conn === conn) this._setStatus('ready', '');
    } catch (error) {
      if (this._conn === conn) this._setStatus('error', String((error as Error).message));
    }
  }

  private _onEvent(event: P.KernelEvent): void {
    if (event.type === 'models') {
      this._setModels(event.models);
    } else if (event.type === 'tree' && event.tree.model === this._model) {
      this.tree.setTree(event.tree);
    }
  }

  private _setModels(models: P.ModelInfo[]): void {
    const names = models.map(m => m.name);
    this._select.replaceChildren(
      ...models.map(m => new Option(`${m.name}: ${m.type} (${m.n_modules} modules)`, m.name))
    );
    this._select.hidden = models.length === 0;
    const keep = this._model !== null && names.includes(this._model);
    if (this._conn && models.length === 0) {
      this._setStatus('ready', 'No torch.nn.Module in this notebook yet.');
    }
    this._chooseModel(keep ? this._model : (names[0] ?? null), keep);
  }

  private _chooseModel(name: string | null, keep = false): void {
    if (name !== null) this._select.value = name;
    if (keep && name === this._model) return;
    this._model = name;
    if (!name || !this._conn) return this.tree.setTree(null);
    this._conn
      .request('get_tree', { model: name })
      .then(tree => tree.model === this._model && this.tree.setTree(tree))
      .catch(error => this._setStatus('error', String(error.message)));
  }

  private async _selectModule(path: string): Promise<void> {
    if (!this._conn || !this._model) return;
    try {
      const ref = await this._conn.request('select_module', { model: this._model, path });
      this._setStatus('ready', `Selected ${ref.path || ref.model}`);
    } catch (error) {
      this._setStatus('error', String((error as Error).message));
    }
  }

  private _setStatus(state: string, text: string): void {
    this._status.dataset.state = state;
    this._status.textContent = text;
  }

  private _select = document.createElement('select');
  private _status = el('div', 'stl-panel-status');
  private _notebook: NotebookPanel | null = null;
  private _conn: PanelConnection | null = null;
  private _model: string | null = null;
}
