import type { ChatMessage } from './chat-completion.js';

/**
 * The messages with every image part removed (a turn with images becomes its text alone), for a model that takes
 * none: the prompt's labels (`[image: cat.png]`) still name the images. The prompt's attachments are prepared for
 * the personality's own model; a fallback model without vision answers from this. A prompt without parts is
 * returned as it is: no copy held for the whole call.
 */
export function dropImageParts(messages: readonly ChatMessage[]): readonly ChatMessage[] {
  if (messages.every((message) => typeof message.content === 'string')) return messages;
  return messages.map((message) => {
    if (typeof message.content === 'string') return message;
    const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
    return { role: message.role, content: text };
  });
}
