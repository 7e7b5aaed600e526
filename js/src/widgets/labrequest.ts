/**
 * Protocol requests from a widget view to the kernel over anywidget custom messages: each gets
 * an id and resolves with the kernel's response (or rejects with its error message).
 */
import type { AnyModel } from '@anywidget/types';
import * as P from '../protocol';

export type Payload<K extends P.RequestType> = Omit<
  Extract<P.Request, { type: K }>,
  'v' | 'id' | 'type'
>;

interface IPending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export class WidgetRequester {
  /** Called whenever the number of pending requests changes. */
  onBusy: (busy: boolean) => void = () => undefined;

  constructor(private readonly _model: AnyModel) {
    _model.on('msg:custom', this._onMessage);
  }

  request<K extends P.RequestType>(type: K, payload: Payload<K>): Promise<P.ResultByRequest[K]> {
    const id = `stl-lab-${Date.now().toString(36)}-${++this._counter}`;
    const message = { ...payload, v: P.PROTOCOL_VERSION, id, type };
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.onBusy(true);
      this._model.send(message);
    });
  }

  dispose(): void {
    this._model.off('msg:custom', this._onMessage);
    this._pending.clear();
  }

  private _onMessage = (msg: P.ServerMessage): void => {
    if (msg?.type !== 'response' && msg?.type !== 'error') return;
    const pending = this._pending.get(msg.id);
    this._pending.delete(msg.id);
    this.onBusy(this._pending.size > 0);
    if (!pending) return;
    if (msg.type === 'response') pending.resolve(msg.result);
    else pending.reject(new Error(msg.message));
  };

  private _counter = 0;
  private _pending = new Map<string, IPending>();
}
