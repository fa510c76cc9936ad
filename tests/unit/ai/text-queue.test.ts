import { describe, expect, it } from 'vitest';
import { TextQueue } from '../../../src/ai/text-queue.js';

async function drain(queue: TextQueue): Promise<string[]> {
  const texts: string[] = [];
  for await (const text of queue) texts.push(text);
  return texts;
}

describe('TextQueue', () => {
  it('joins the pieces that arrived while nobody pulled', async () => {
    const queue = new TextQueue();
    queue.push('a');
    queue.push('b');
    queue.close();
    expect(await drain(queue)).toEqual(['ab']);
  });

  it('hands each piece to a waiting consumer, then ends on close', async () => {
    const queue = new TextQueue();
    const pulled = drain(queue);
    queue.push('one');
    await Promise.resolve();
    await Promise.resolve();
    queue.push('two');
    queue.close();
    expect((await pulled).join('')).toBe('onetwo');
  });

  it('ends at once when closed empty', async () => {
    const queue = new TextQueue();
    queue.close();
    expect(await drain(queue)).toEqual([]);
  });
});
