/**
 * Protocol requests from a widget view to the kernel over anywidget custom messages, through the
 * shared Requester. Every view of a model hears every reply, so each view's ids carry a prefix of
 * its own and a view settles only its own requests.
 */
import type { AnyModel } from '@anywidget/types';
import { Requester, type Payload } from '../requests';

export type { Payload };

/** Long enough for a Compare on a large model; short enough that a dead kernel is noticed. */
export const WIDGET_TIMEOUT_MS = 300_000;

export function viewPrefix(): string {
  return `stl-lab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export class WidgetRequester extends Requester {
  constructor(
    private readonly _model: AnyModel,
    timeoutMs = WIDGET_TIMEOUT_MS
  ) {
    super({ send: message => _model.send(message), prefix: viewPrefix(), timeoutMs });
    _model.on('msg:custom', this._onMessage);
  }

  dispose(): void {
    this._model.off('msg:custom', this._onMessage);
    this.close('the widget view was closed');
  }

  private _onMessage = (msg: unknown): void => {
    this.handle(msg);
  };
}
