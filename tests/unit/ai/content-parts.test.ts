import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/ai/chat-completion.js';
import { dropImageParts } from '../../../src/ai/content-parts.js';

describe('dropImageParts', () => {
  it('turns a turn with images into its text, and leaves plain turns as they are', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are Iris.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Kate: look\n[image: cat.png]' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ];
    expect(dropImageParts(messages)).toEqual([
      { role: 'system', content: 'You are Iris.' },
      { role: 'user', content: 'Kate: look\n[image: cat.png]' },
    ]);
  });

  it('returns a prompt without image parts itself, not a copy', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are Iris.' },
      { role: 'user', content: 'Kate: hello' },
    ];
    expect(dropImageParts(messages)).toBe(messages);
  });
});
