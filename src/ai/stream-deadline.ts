/**
 * A stream's deadline: `timeoutMs` from the start until {@link StreamDeadline.idle} is first called (the model
 * answered), then `idleMs` from the last call of it. Its signal aborts when the caller's does or when it passes.
 */
export class StreamDeadline implements Disposable {
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal;
  #timer: NodeJS.Timeout;
  #idle = false;
  #timedOut = false;
  readonly #onParentAbort = (): void => this.#controller.abort(this.#parent.reason);
  readonly #onTimeout = (): void => {
    this.#timedOut = true;
    this.#controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  };

  constructor(parent: AbortSignal, timeoutMs: number) {
    this.#parent = parent;
    parent.addEventListener('abort', this.#onParentAbort, { once: true });
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the deadline passed (rather than the caller aborting). */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Restarts the deadline at `idleMs` from now. */
  idle(idleMs: number): void {
    if (this.#idle) {
      this.#timer.refresh();
      return;
    }
    this.#idle = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimeout, idleMs);
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#parent.removeEventListener('abort', this.#onParentAbort);
  }
}
