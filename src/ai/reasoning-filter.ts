/**
 * Keeps a reasoning model's thinking out of the visible reply. Pure: no I/O, no clock.
 *
 * Models served through OpenAI-compatible APIs show their reasoning in one of three ways: in the text itself
 * as `<think>…</think>` blocks (DeepSeek R1, QwQ and Qwen 3 through vLLM, llama.cpp or Ollama), in a separate
 * `reasoning_content` field (DeepSeek's API, vLLM with a reasoning parser), or in `reasoning` (OpenRouter).
 * The separate fields are simply never read as text; this module takes the blocks out of the text.
 */

const OPEN_TAG = '<think>';
const CLOSE_TAG = '</think>';

/**
 * Filters a reply's text as it arrives in pieces: `<think>…</think>` blocks are dropped wherever they are,
 * also when a tag is split across pieces; a block never closed hides everything after its opening tag; the
 * whitespace before the first visible character is dropped (a reply usually starts `<think>…</think>\n\n`).
 * Tags match case-insensitively. Any way of cutting a text into pieces gives the same visible text as
 * {@link stripReasoning} on the whole.
 */
export class ReasoningFilter {
  #inside = false;
  /** The end of the text seen so far that may be the start of the tag looked for next: held back until known. */
  #held = '';
  #sawVisible = false;
  #sawReasoning = false;

  /** Whether any visible (non-whitespace) text came out so far. */
  get sawVisible(): boolean {
    return this.#sawVisible;
  }

  /** Whether a `<think>` block was met (however short), or {@link ReasoningFilter.noteReasoning} was called. */
  get sawReasoning(): boolean {
    return this.#sawReasoning;
  }

  /** Records reasoning that came outside the text (`reasoning_content`, `reasoning`). */
  noteReasoning(): void {
    this.#sawReasoning = true;
  }

  /** The visible text of `piece` (possibly empty; possibly text held back from the previous pieces). */
  push(piece: string): string {
    let text = this.#held + piece;
    this.#held = '';
    let visible = '';
    for (;;) {
      const tag = this.#inside ? CLOSE_TAG : OPEN_TAG;
      const at = indexOfTag(text, tag);
      if (at >= 0) {
        if (!this.#inside) visible += text.slice(0, at);
        this.#inside = !this.#inside;
        this.#sawReasoning = true;
        text = text.slice(at + tag.length);
        continue;
      }
      const keep = partialTagLength(text, tag);
      if (!this.#inside) visible += text.slice(0, text.length - keep);
      this.#held = text.slice(text.length - keep);
      break;
    }
    return this.#reveal(visible);
  }

  /** The end of the text: what was held back, when it turned out not to be a tag (nothing inside a block). */
  flush(): string {
    const held = this.#held;
    this.#held = '';
    return this.#inside ? '' : this.#reveal(held);
  }

  #reveal(visible: string): string {
    if (this.#sawVisible) return visible;
    const trimmed = visible.trimStart();
    if (trimmed !== '') this.#sawVisible = true;
    return trimmed;
  }
}

/** The visible text of a whole reply: what a {@link ReasoningFilter} lets through. */
export function stripReasoning(text: string): { readonly visible: string; readonly sawReasoning: boolean } {
  const filter = new ReasoningFilter();
  const visible = filter.push(text) + filter.flush();
  return { visible, sawReasoning: filter.sawReasoning };
}

/** Where `tag` (lower case) first starts in `text`, in any case; -1 when it does not. */
function indexOfTag(text: string, tag: string): number {
  const exact = text.indexOf(tag);
  const end = exact >= 0 ? exact : text.length;
  // Not toLowerCase(): a few characters change length in lower case, which would shift the index.
  for (let at = text.indexOf('<'); at >= 0 && at < end; at = text.indexOf('<', at + 1)) {
    if (matchesTagStart(text, at, tag, tag.length)) return at;
  }
  return exact;
}

/** The length of the longest end of `text` that is a proper start of `tag`, in any case (0 when none is). */
function partialTagLength(text: string, tag: string): number {
  for (let start = Math.max(0, text.length - tag.length + 1); start < text.length; start += 1) {
    if (text.charCodeAt(start) === LESS_THAN && matchesTagStart(text, start, tag, text.length - start)) {
      return text.length - start;
    }
  }
  return 0;
}

const LESS_THAN = 0x3c;

/** Whether the `length` characters of `text` at `at` are the first `length` of `tag`, ASCII case ignored. */
function matchesTagStart(text: string, at: number, tag: string, length: number): boolean {
  if (at + length > text.length) return false;
  for (let index = 0; index < length; index += 1) {
    const code = text.charCodeAt(at + index);
    // ASCII upper case to lower case; the tags hold only "<", "/", ">" and lower-case letters.
    const lower = code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
    if (lower !== tag.charCodeAt(index)) return false;
  }
  return true;
}
