/**
 * The side panel: lists the models in the active notebook's kernel, shows the module tree of
 * the chosen one and sends clicks to the kernel. Connects only while visible.
 */
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type * as P from '../protocol';
import { PanelActions } from './actions';
import type { PanelConnection } from './connection';
import { KernelFollower, type IFollowStatus } from './follow';
import { SlimePanelView } from './slimeview';
import { ModuleTreeView } from './tree';

const NO_MODELS = 'No torch.nn.Module in this notebook yet.';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = '') {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = text;
  return node;
}

export class SidePanel extends Widget {
  readonly tree = new ModuleTreeView();
  readonly actions = new PanelActions();
  readonly slime = new SlimePanelView();
  /** Row of tool buttons next to the title (filled by the plugin from its commands). */
  readonly toolbar = el('div', 'stl-panel-toolbar');

  constructor(tracker: INotebookTracker) {
    super();
    this.addClass('stl-panel');
    const header = el('div', 'stl-panel-header');
    const titleRow = el('div', 'stl-panel-titlerow');
    titleRow.append(el('span', 'stl-panel-title', 'Symbolic distillation'), this.toolbar);
    header.append(titleRow, this._select);
    this._select.className = 'stl-model-select';
    this._select.title = 'Model (an nn.Module in the notebook namespace)';
    this._select.addEventListener('change', () => {
      this._preferred = this._select.value;
      this._chooseModel(this._select.value);
    });
    this.node.append(header, this._status, this.actions.node, this.tree.node, this.slime.node);
    this.tree.onSelect = path => void this._selectModule(path);
    this.actions.onDistill = path => this._act('start_distill', path);
    this.actions.onStop = path => this._act('stop', path);
    this._follower = new KernelFollower(tracker);
    this._follower.status.connect((_, s) => {
      // "connected" must not wipe a message the model list already put there
      if (s.state !== 'ready' || this._status.dataset.state === 'connecting') this._setStatus(s);
    });
    this._follower.changed.connect((_, conn) => this._onConnection(conn));
  }

  /** Ask the kernel for the model list and the current tree again. */
  async refresh(): Promise<void> {
    const conn = this._follower.connection;
    if (!conn) return this._follower.follow();
    this._setModels((await conn.request('list_models', {})).models);
    if (this._model) this._chooseModel(this._model); // re-fetch the tree even if unchanged
  }

  dispose(): void {
    this._follower.dispose();
    super.dispose();
  }

  protected onAfterShow(_msg: Message): void {
    this._follower.enabled = true;
  }

  private _onConnection(conn: PanelConnection | null): void {
    this._setModels([]);
    this.slime.setConnection(conn);
    conn?.events.connect((_, event) => this._onEvent(event));
  }

  private _onEvent(event: P.KernelEvent): void {
    if (event.type === 'models') {
      this._setModels(event.models);
    } else if (event.type === 'tree' && event.tree.model === this._model) {
      this.tree.setTree(event.tree);
    } else if (event.type === 'status' && event.status.model === this._model) {
      this.actions.setStatus(event.status);
    }
  }

  private _setModels(models: P.ModelInfo[]): void {
    const names = models.map(m => m.name);
    this._select.replaceChildren(
      ...models.map(m => new Option(`${m.name}: ${m.type} (${m.n_modules} modules)`, m.name))
    );
    this._select.hidden = models.length === 0;
    const want = [this._model, this._preferred].find(n => n && names.includes(n)) ?? null;
    if (this._follower.connection && models.length === 0) {
      this._setStatus({ state: 'ready', text: NO_MODELS });
    } else if (this._status.textContent === NO_MODELS) {
      this._setStatus({ state: 'ready', text: '' });
    }
    this._chooseModel(want ?? names[0] ?? null, want !== null && want === this._model);
  }

  private _chooseModel(name: string | null, keep = false): void {
    if (name !== null) this._select.value = name;
    if (keep && name === this._model) return;
    this._model = name;
    this.actions.node.hidden = name === null; // no model: nothing to click, one message
    this.actions.setSelection(null);
    this.actions.setStatus(null);
    const conn = this._follower.connection;
    if (!name || !conn) return this.tree.setTree(null);
    conn
      .request('get_tree', { model: name })
      .then(tree => tree.model === this._model && this.tree.setTree(tree))
      .catch(error => this._setStatus({ state: 'error', text: String(error.message) }));
  }

  private async _selectModule(path: string): Promise<void> {
    const conn = this._follower.connection;
    if (!conn || !this._model) return;
    try {
      const ref = await conn.request('select_module', { model: this._model, path });
      this._setStatus({ state: 'ready', text: `Selected ${ref.path || ref.model}` });
      this.actions.setSelection(path);
    } catch (error) {
      this._setStatus({ state: 'error', text: String((error as Error).message) });
    }
  }

  private _act(type: 'start_distill' | 'stop', path: string): void {
    const conn = this._follower.connection;
    if (!conn || !this._model) return;
    conn
      .request(type, { model: this._model, path })
      .then(status => this.actions.setStatus(status))
      .catch(error => this.actions.setError(String((error as Error).message)));
  }

  private _setStatus({ state, text }: IFollowStatus): void {
    this._status.dataset.state = state;
    this._status.textContent = text;
  }

  private _select = document.createElement('select');
  private _status = el('div', 'stl-panel-status');
  private _follower: KernelFollower;
  private _model: string | null = null;
  private _preferred: string | null = null;
}
