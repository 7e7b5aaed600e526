/**
 * Is there a running Lab behind this view? A view restored from a notebook's saved widget state
 * has no comm, and after a kernel restart the kernel has no object for the old comm: requests
 * then vanish without a reply. This wraps the model the requester sends through so that such a
 * request fails at once with a message that says how to reconnect, instead of staying busy.
 */
import type { AnyModel } from '@anywidget/types';
import * as P from '../protocol';

export const NOT_CONNECTED =
  'This view is not connected to a running Lab (the kernel was restarted, or the notebook was ' +
  'reopened from its saved widget state). Re-run the cell that displays the Lab to reconnect.';
export const KERNEL_RESTARTED =
  'The kernel was restarted (or stopped): this view is not connected to a running Lab any ' +
  'more; it shows the Lab as it was, and no search is running. Re-run the cell that displays ' +
  'the Lab to reconnect.';
/** Kernel states after which the Lab behind a view is gone. */
const GONE = new Set(['restarting', 'autorestarting', 'dead']);
/** An idle kernel acknowledges a message (status "busy") within milliseconds. */
const NO_SIGN_MS = 1500;
/** The reply is sent before the kernel goes idle; allow for delivery. */
const AFTER_IDLE_MS = 500;

type Listener = (msg: unknown) => void;
interface IStatusMsg {
  content?: { execution_state?: string };
}
type Sender = (msg: unknown, callbacks?: unknown) => void;

/** The kernel's status as the widget manager sees it ('' when it cannot tell). */
function kernelStatus(model: AnyModel): string {
  const manager = model.widget_manager as unknown as { kernel?: { status?: string } | null };
  return manager?.kernel?.status ?? '';
}

/**
 * A model that sends like `model` and tells `onLost(message)` (once) when the view turns out to
 * have no running Lab behind it; each request sent then gets an `unavailable` error reply.
 */
export function watchConnection(model: AnyModel, onLost: (message: string) => void): AnyModel {
  const listeners = new Set<Listener>();
  const answered = new Set<string>();
  let lost = false;
  const fail = (id: string) => {
    const reply = { v: P.PROTOCOL_VERSION, type: 'error', id, code: 'unavailable' };
    listeners.forEach(listener => listener({ ...reply, message: NOT_CONNECTED }));
  };
  const markLost = () => {
    if (!lost) onLost(NOT_CONNECTED);
    lost = true;
  };
  const hear: Listener = msg => {
    const id = (msg as { id?: unknown })?.id;
    if (typeof id === 'string') answered.add(id);
  };
  model.on('msg:custom', hear);
  // ipywidgets marks every model's comm dead when the kernel restarts or goes away
  model.on('comm_live_update' as 'msg:custom', markLost);

  const send = (message: Record<string, unknown>) => {
    const id = String(message.id ?? '');
    if (lost) return setTimeout(() => fail(id), 0);
    let heard = false;
    const unanswered = () => {
      if (answered.delete(id)) return;
      markLost();
      fail(id);
    };
    const onStatus = (msg: IStatusMsg) => {
      heard = true;
      if (msg.content?.execution_state === 'idle') setTimeout(unanswered, AFTER_IDLE_MS);
    };
    const check = () => {
      if (heard || answered.has(id)) return;
      if (kernelStatus(model) === 'idle') unanswered();
      else setTimeout(check, NO_SIGN_MS); // busy running a cell: the request waits its turn
    };
    (model.send as Sender)(message, { iopub: { status: onStatus } });
    setTimeout(check, NO_SIGN_MS);
  };
  return {
    ...model,
    send: send as AnyModel['send'],
    on: ((name: string, callback: Listener) => {
      if (name === 'msg:custom') listeners.add(callback);
      model.on(name as 'msg:custom', callback);
    }) as AnyModel['on'],
    off: ((name: string, callback: Listener) => {
      if (name === 'msg:custom') listeners.delete(callback);
      model.off(name as 'msg:custom', callback);
    }) as AnyModel['off']
  };
}

interface IStatusSignal {
  connect(slot: (sender: unknown, status: string) => void): unknown;
  disconnect(slot: (sender: unknown, status: string) => void): unknown;
}

/**
 * Tell `onLost(KERNEL_RESTARTED)` (once) when the kernel behind `model` restarts or dies, without
 * waiting for a request to go unanswered (the view would keep showing "running"). Returns the
 * function that stops watching; a no-op where the widget manager has no kernel to watch.
 */
export function watchKernel(model: AnyModel, onLost: (message: string) => void): () => void {
  const manager = model.widget_manager as unknown as {
    kernel?: { statusChanged?: IStatusSignal } | null;
  };
  const signal = manager?.kernel?.statusChanged;
  if (!signal) return () => undefined;
  const slot = (_sender: unknown, status: string) => {
    if (!GONE.has(status)) return;
    signal.disconnect(slot);
    onLost(KERNEL_RESTARTED);
  };
  signal.connect(slot);
  return () => void signal.disconnect(slot);
}
