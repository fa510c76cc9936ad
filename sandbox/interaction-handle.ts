import { EventEmitter } from 'node:events';

/** What the bot answered to an interaction, one entry per callback, edit, follow-up or deletion. */
export interface InteractionResponse {
  /** `callback` (POST …/callback), `edit` (PATCH a response), `followup` (POST the interaction webhook), `delete`. */
  readonly kind: 'callback' | 'edit' | 'followup' | 'delete';
  /** The callback type (4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 9 modal); null otherwise. */
  readonly callbackType: number | null;
  /** The message created, edited or deleted; null for 6/8/9 callbacks. */
  readonly messageId: string | null;
  readonly content: string | null;
  readonly embeds: readonly unknown[];
  readonly components: readonly unknown[];
  readonly flags: number;
  /** Files the response's message carries (uploaded with it, multipart as discord.js sends them). */
  readonly attachments: readonly InteractionResponseFile[];
  /** Autocomplete choices (callback type 8). */
  readonly choices: readonly unknown[] | null;
  /** The modal shown (callback type 9). */
  readonly modal: unknown;
  /** Unix ms. */
  readonly at: number;
}

/** A file on an interaction's response message. */
export interface InteractionResponseFile {
  readonly filename: string;
  readonly contentType: string | null;
  readonly data: Buffer;
}

/**
 * A user's interaction as the control API sees it: every response the bot gave, in order, and a way to wait for
 * the next.
 */
export class InteractionHandle {
  readonly #responses: InteractionResponse[] = [];
  readonly #emitter = new EventEmitter<{ response: [InteractionResponse] }>();

  constructor(
    /** The interaction's id. */
    readonly id: string,
    /** 2 application command, 3 message component, 4 autocomplete. */
    readonly type: number,
  ) {}

  /** Every response so far, oldest first. */
  get responses(): readonly InteractionResponse[] {
    return this.#responses;
  }

  /** Whether the bot sent its initial callback. */
  get acknowledged(): boolean {
    return this.#responses.some((response) => response.kind === 'callback');
  }

  /** Records a response and wakes waiters. Called by the sandbox's interaction endpoints. */
  record(response: InteractionResponse): void {
    this.#responses.push(response);
    this.#emitter.emit('response', response);
  }

  /**
   * The first response (already given or still to come) matching `predicate`; rejects after `timeoutMs`.
   * @param timeoutMs - How long to wait, in ms. @defaultValue 5000
   */
  waitForResponse(
    predicate: (response: InteractionResponse) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<InteractionResponse> {
    const existing = this.#responses.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const onResponse = (response: InteractionResponse): void => {
        if (!predicate(response)) return;
        clearTimeout(timer);
        this.#emitter.off('response', onResponse);
        resolve(response);
      };
      const timer = setTimeout(() => {
        this.#emitter.off('response', onResponse);
        reject(
          new Error(
            `sandbox: interaction ${this.id} got no matching response within ${timeoutMs} ms ` +
              `(responses so far: ${this.#responses.map((response) => `${response.kind}:${response.callbackType ?? '-'}`).join(', ') || 'none'})`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.#emitter.on('response', onResponse);
    });
  }
}
