/**
 * One protocol connection to a kernel: registers the comm target on demand, opens the comm,
 * matches responses to requests by id and re-emits kernel events.
 */
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import * as P from '../protocol';

/** Silent, history-free code that registers the kernel side of the panel. */
const REGISTER =
  'import symtorch_lab.ui.panel as _stl_panel\n_stl_panel.register()\ndel _stl_panel';

/** Payload of a request: everything but the envelope fields. */
export type Payload<K extends P.RequestType> = Omit<
  Extract<P.Request, { type: K }>,
  'v' | 'id' | 'type'
>;

/** An error reported by the kernel side, with its protocol error code. */
export class ProtocolError extends Error {
  constructor(
    readonly code: P.ErrorCode | 'closed' | 'unavailable',
    message: string
  ) {
    super(message);
  }
}

interface IPending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export class PanelConnection implements IDisposable {
  constructor(readonly kernel: Kernel.IKernelConnection) {}

  /** Unsolicited kernel events (model list, trees, search status, fronts). */
  get events(): ISignal<this, P.KernelEvent> {
    return this._events;
  }

  /** Emitted once when the comm closes (kernel restart, shutdown, dispose). */
  get closed(): ISignal<this, void> {
    return this._closed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Register the comm target in the kernel and open the comm. */
  async open(): Promise<void> {
    const reply = await this.kernel.requestExecute({
      code: REGISTER,
      silent: true,
      store_history: false
    }).done;
    if (reply.content.status !== 'ok') {
      const c = reply.content as { ename?: string; evalue?: string };
      throw new ProtocolError(
        'unavailable',
        `symtorch_lab is not usable in this kernel (${c.ename}: ${c.evalue})`
      );
    }
    const comm = this.kernel.createComm(P.COMM_TARGET);
    comm.onMsg = msg => this._onMessage(msg.content.data as unknown as P.ServerMessage);
    comm.onClose = () => this.dispose();
    this._comm = comm;
    await comm.open({ v: P.PROTOCOL_VERSION }).done;
  }

  /** Send one request; resolves with its result or rejects with a ProtocolError. */
  request<K extends P.RequestType>(type: K, payload: Payload<K>): Promise<P.ResultByRequest[K]> {
    if (!this._comm || this._disposed) {
      return Promise.reject(new ProtocolError('closed', 'not connected to a kernel'));
    }
    const id = `stl-${++this._counter}`;
    const message = { ...payload, v: P.PROTOCOL_VERSION, id, type };
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this._comm!.send(message as unknown as Record<string, never>);
    });
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    for (const pending of this._pending.values()) {
      pending.reject(new ProtocolError('closed', 'connection to the kernel closed'));
    }
    this._pending.clear();
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed && !this.kernel.isDisposed) {
      void Promise.resolve(comm.close()).catch(() => undefined);
    }
    this._closed.emit();
    Signal.clearData(this);
  }

  private _onMessage(msg: P.ServerMessage): void {
    if (msg.type === 'response' || msg.type === 'error') {
      const pending = this._pending.get(msg.id);
      this._pending.delete(msg.id);
      if (!pending) {
        console.warn('symtorch-lab: unmatched reply', msg);
      } else if (msg.type === 'response') {
        pending.resolve(msg.result);
      } else {
        pending.reject(new ProtocolError(msg.code, msg.message));
      }
      return;
    }
    this._events.emit(msg);
  }

  private _comm: Kernel.IComm | null = null;
  private _counter = 0;
  private _disposed = false;
  private _pending = new Map<string, IPending>();
  private _events = new Signal<this, P.KernelEvent>(this);
  private _closed = new Signal<this, void>(this);
}
