import { cutFirstMessage, splitMessage } from '../webhooks/index.js';

/** How a {@link StreamLayout} lays text out. */
export interface StreamLayoutOptions {
  /** Longest message, in UTF-16 units (the splitter's unit). @defaultValue DiscordLimits.messageContent */
  readonly maxLength: number;
  /** Text before the first message only: the reply-quote line, or ''. */
  readonly prefix: string;
}

/**
 * Room the open message's rendering may add to its text besides the prefix: a newline and a closing fence of
 * at most 16 characters (the splitter's longest fence), when the text ends inside a code block.
 */
const RENDER_RESERVE = 17;

/**
 * The messages a streamed reply shows, as its text grows: full messages are closed (frozen) where the message
 * splitter would cut them, with code fences balanced, and the text goes on in a new message that reopens a code
 * block it was cut in. The last message is the open one: its text as it stands, a block still open closed for
 * display. Pure.
 */
export class StreamLayout {
  readonly #frozen: string[] = [];
  /** The open message's source text (a reopened fence line first, when it goes on inside a block). */
  #carry = '';
  #text = '';
  /** {@link StreamLayout.messages} as last rendered; null once text came since. */
  #rendered: string[] | null = null;

  constructor(private readonly options: StreamLayoutOptions) {}

  /** Everything appended so far: the reply as the model wrote it. */
  get text(): string {
    return this.#text;
  }

  /** Messages closed because they were full; they never change again. */
  get frozenCount(): number {
    return this.#frozen.length;
  }

  /** Adds text the model wrote; closes every message it fills. */
  append(text: string): void {
    this.#text += text;
    this.#carry += text;
    this.#rendered = null;
    // Cheap check first: the splitter runs only once the open message may not fit any more.
    while (this.#prefix().length + this.#carry.length + RENDER_RESERVE > this.options.maxLength) {
      const cut = cutFirstMessage(this.#carry, { prefix: this.#prefix(), maxLength: this.options.maxLength });
      if (cut === null) return;
      this.#frozen.push(cut.first);
      this.#carry = cut.rest;
    }
  }

  /** Ends the text with `suffix` (a marker), after the text's trailing whitespace. */
  end(suffix: string): void {
    const trimmed = this.#carry.trimEnd();
    this.#text = this.#text.slice(0, this.#text.length - (this.#carry.length - trimmed.length));
    this.#carry = trimmed;
    this.append(suffix);
  }

  /**
   * The messages as they should read now: the frozen ones, then the open one (absent while it has no visible
   * text). Every one fits a Discord message and renders on its own.
   */
  messages(): readonly string[] {
    if (this.#rendered === null) {
      const [open] = splitMessage(this.#carry, { prefix: this.#prefix(), maxLength: this.options.maxLength });
      this.#rendered = open === undefined ? [...this.#frozen] : [...this.#frozen, open];
    }
    return this.#rendered;
  }

  #prefix(): string {
    return this.#frozen.length === 0 ? this.options.prefix : '';
  }
}
