/**
 * A fake anywidget model for unit tests, as in anywidget's own tests: get/set/on/off/send/
 * save_changes over a plain object, recording what the view sent; `reply` plays the kernel.
 */
type Handler = (...args: unknown[]) => void;

export class MockModel<T extends Record<string, unknown>> {
  sent: Record<string, unknown>[] = [];
  saved = 0;

  constructor(private _state: T) {}

  get<K extends keyof T>(key: K): T[K] {
    return this._state[key];
  }

  set<K extends keyof T>(key: K, value: T[K]): void {
    this._state[key] = value;
    this._emit(`change:${String(key)}`, value);
  }

  on(names: string, handler: Handler): void {
    for (const name of names.split(' ')) {
      this._handlers.set(name, [...(this._handlers.get(name) ?? []), handler]);
    }
  }

  off(names: string, handler: Handler): void {
    for (const name of names.split(' ')) {
      this._handlers.set(
        name,
        (this._handlers.get(name) ?? []).filter(h => h !== handler)
      );
    }
  }

  send(message: Record<string, unknown>): void {
    this.sent.push(message);
  }

  save_changes(): void {
    this.saved += 1;
  }

  /** Deliver a custom message from the kernel to every listening view. */
  reply(message: unknown): void {
    this._emit('msg:custom', message, []);
  }

  listeners(name: string): number {
    return (this._handlers.get(name) ?? []).length;
  }

  private _emit(name: string, ...args: unknown[]): void {
    for (const handler of this._handlers.get(name) ?? []) handler(...args);
  }

  private _handlers = new Map<string, Handler[]>();
}
