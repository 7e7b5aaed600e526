/**
 * Protocol requests over any message channel, shared by the side panel (its comm) and the widget
 * views (anywidget custom messages): each request gets an id, the kernel's `response` or `error`
 * with that id settles it, and a timeout or a closed channel rejects it with a message that says
 * what went wrong.
 */
import * as P from './protocol';

/** Payload of a request: everything but the envelope fields. */
export type Payload<K extends P.RequestType> = Omit<
  Extract<P.Request, { type: K }>,
  'v' | 'id' | 'type'
>;

/** A failed request: the kernel's protocol error code, or why no reply came. */
export class ProtocolError extends Error {
  constructor(
    readonly code: P.ErrorCode | 'closed' | 'timeout' | 'unavailable',
    message: string
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface IRequesterOptions {
  /** Puts one request message on the channel. */
  send: (message: Record<string, unknown>) => void;
  /** Prefix of the request ids (to tell channels apart in logs). */
  prefix?: string;
  /** Reject a request that had no reply after this many ms (0: never). */
  timeoutMs?: number;
}

interface IPending {
  type: P.RequestType;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class Requester {
  /** Called whenever the number of pending requests goes from 0 to 1 or back. */
  onBusy: (busy: boolean) => void = () => undefined;

  constructor(private readonly _options: IRequesterOptions) {}

  /** Requests sent and not yet settled. */
  get pending(): number {
    return this._pending.size;
  }

  /** Send one request; resolves with its result or rejects with a ProtocolError. */
  request<K extends P.RequestType>(type: K, payload: Payload<K>): Promise<P.ResultByRequest[K]> {
    if (this._closed !== null) {
      return Promise.reject(new ProtocolError('closed', this._closed));
    }
    const id = `${this._options.prefix ?? 'stl'}-${++this._counter}`;
    return new Promise((resolve, reject) => {
      const ms = this._options.timeoutMs ?? 0;
      const timer = ms > 0 ? setTimeout(() => this._timeout(id), ms) : null;
      this._pending.set(id, { type, resolve: resolve as (r: unknown) => void, reject, timer });
      if (this._pending.size === 1) this.onBusy(true);
      try {
        this._options.send({ ...payload, v: P.PROTOCOL_VERSION, id, type });
      } catch (error) {
        this._settle(id)?.reject(new ProtocolError('closed', `could not send ${type}: ${error}`));
      }
    });
  }

  /**
   * Settle the request that `message` answers. Returns false for anything that is not a reply
   * (kernel events), true for replies, including late or unknown ones (which are dropped).
   */
  handle(message: unknown): boolean {
    const msg = message as P.ServerMessage | null;
    if (msg?.type !== 'response' && msg?.type !== 'error') return false;
    const pending = this._settle(msg.id);
    if (!pending) return true;
    if (msg.type === 'response') pending.resolve(msg.result);
    else pending.reject(new ProtocolError(msg.code, msg.message));
    return true;
  }

  /** Reject every pending request and refuse new ones (the channel is gone). */
  close(reason = 'connection to the kernel closed'): void {
    this._closed = reason;
    for (const id of [...this._pending.keys()]) {
      this._settle(id)?.reject(new ProtocolError('closed', reason));
    }
  }

  private _timeout(id: string): void {
    const pending = this._settle(id);
    const seconds = (this._options.timeoutMs ?? 0) / 1000;
    pending?.reject(
      new ProtocolError(
        'timeout',
        `no reply from the kernel to "${pending.type}" within ${seconds} s: ` +
          'the kernel may be busy running a cell, or it was restarted'
      )
    );
  }

  private _settle(id: string): IPending | undefined {
    const pending = this._pending.get(id);
    if (!pending) return undefined;
    this._pending.delete(id);
    if (pending.timer !== null) clearTimeout(pending.timer);
    if (this._pending.size === 0) this.onBusy(false);
    return pending;
  }

  private _counter = 0;
  private _closed: string | null = null;
  private _pending = new Map<string, IPending>();
}
