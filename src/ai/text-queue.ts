/**
 * The text of one streamed call on its way from the HTTP stream (which pushes) to the stream's consumer (which
 * pulls): pieces that arrive while the consumer is busy come out joined, as one. Unbounded: the response's
 * size cap bounds it, and the consumer (the reply path) only ever buffers text between its edits.
 */
export class TextQueue implements AsyncIterable<string> {
  #pieces: string[] = [];
  #closed = false;
  #wake: (() => void) | null = null;

  /** Adds a piece (the consumer gets it with the next pull). */
  push(text: string): void {
    this.#pieces.push(text);
    this.#notify();
  }

  /** No more pieces: iteration ends once the queued ones are pulled. */
  close(): void {
    this.#closed = true;
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.#pieces.length > 0) {
        const pieces = this.#pieces;
        this.#pieces = [];
        yield pieces.length === 1 ? pieces[0]! : pieces.join('');
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
