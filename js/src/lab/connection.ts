/**
 * One protocol connection to a kernel: registers the comm target on demand, opens the comm,
 * matches responses to requests by id and re-emits kernel events.
 */
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import * as P from '../protocol';
import { ProtocolError, Requester, type Payload } from '../requests';

export { ProtocolError, type Payload };

/** A request to the panel's comm that had no reply after this long failed (kernel gone or busy). */
export const PANEL_TIMEOUT_MS = 120_000;

/** Silent, history-free code that registers the kernel side of the panel. */
const REGISTER =
  'import symtorch_lab.ui.panel as _stl_panel\n_stl_panel.register()\ndel _stl_panel';

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
    return this._requests.request(type, payload);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._requests.close('connection to the kernel closed');
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed && !this.kernel.isDisposed) {
      void Promise.resolve(comm.close()).catch(() => undefined);
    }
    this._closed.emit();
    Signal.clearData(this);
  }

  private _onMessage(msg: P.ServerMessage): void {
    if (!this._requests.handle(msg)) this._events.emit(msg as P.KernelEvent);
  }

  private _comm: Kernel.IComm | null = null;
  private _disposed = false;
  private _requests = new Requester({
    send: message => {
      if (!this._comm) throw new Error('not connected to a kernel');
      this._comm.send(message as unknown as Record<string, never>);
    },
    timeoutMs: PANEL_TIMEOUT_MS
  });
  private _events = new Signal<this, P.KernelEvent>(this);
  private _closed = new Signal<this, void>(this);
}
