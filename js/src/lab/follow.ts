/**
 * Follows the active notebook's kernel and keeps one protocol connection to it while enabled
 * (the panel enables it while visible). Kernel switches and restarts start a new connection.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import { PanelConnection } from './connection';

const GONE = new Set(['restarting', 'autorestarting', 'dead', 'terminating']);

export interface IFollowStatus {
  state: 'idle' | 'connecting' | 'ready' | 'error';
  text: string;
}

export class KernelFollower implements IDisposable {
  constructor(private readonly _tracker: INotebookTracker) {
    _tracker.currentChanged.connect(this.follow, this);
  }

  /** The open connection, or null. */
  get connection(): PanelConnection | null {
    return this._conn;
  }

  /** Emitted with each new connection (just before it opens), and with null when it is gone. */
  get changed(): ISignal<this, PanelConnection | null> {
    return this._changed;
  }

  get status(): ISignal<this, IFollowStatus> {
    return this._status;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Connect only while enabled (the panel is visible): the kernel side registers on demand. */
  set enabled(value: boolean) {
    this._enabled = value;
    if (value) this.follow();
  }

  /** Look at the active notebook again and (re)connect if its kernel changed. */
  follow(): void {
    const notebook = this._tracker.currentWidget;
    if (notebook !== this._notebook) {
      this._notebook?.sessionContext.statusChanged.disconnect(this._onKernelStatus, this);
      this._notebook?.sessionContext.kernelChanged.disconnect(this.follow, this);
      this._notebook = notebook;
      notebook?.sessionContext.statusChanged.connect(this._onKernelStatus, this);
      notebook?.sessionContext.kernelChanged.connect(this.follow, this);
    }
    void this._connect();
  }

  dispose(): void {
    this._disposed = true;
    this._drop();
    Signal.clearData(this);
  }

  private _onKernelStatus(): void {
    const status = this._notebook?.sessionContext.session?.kernel?.status;
    if (status && GONE.has(status)) {
      // A restart disposes the kernel's comms without closing them: start over when idle.
      this._drop();
      this._status.emit({ state: 'idle', text: `Kernel ${status}…` });
    } else if (status === 'idle' && !this._conn) {
      void this._connect();
    }
  }

  private _drop(): void {
    const conn = this._conn;
    this._conn = null;
    conn?.dispose();
    if (conn) this._changed.emit(null);
  }

  private async _connect(): Promise<void> {
    const kernel = this._notebook?.sessionContext.session?.kernel ?? null;
    if (this._conn && this._conn.kernel === kernel) return;
    this._drop();
    if (!this._enabled || this._disposed) return;
    if (!kernel) {
      return this._status.emit({ state: 'idle', text: 'Open a notebook with a running kernel.' });
    }
    const conn = new PanelConnection(kernel);
    this._conn = conn;
    conn.closed.connect(() => {
      if (this._conn !== conn) return;
      this._drop();
      this._status.emit({ state: 'idle', text: 'Kernel connection closed.' });
    });
    this._status.emit({ state: 'connecting', text: 'Connecting to the kernel…' });
    this._changed.emit(conn); // before open: the kernel sends the model list as soon as it opens
    try {
      await conn.open();
      if (this._conn === conn) this._status.emit({ state: 'ready', text: '' });
    } catch (error) {
      if (this._conn === conn) this._status.emit({ state: 'error', text: String(error) });
    }
  }

  private _notebook: NotebookPanel | null = null;
  private _conn: PanelConnection | null = null;
  private _enabled = false;
  private _disposed = false;
  private _changed = new Signal<this, PanelConnection | null>(this);
  private _status = new Signal<this, IFollowStatus>(this);
}
