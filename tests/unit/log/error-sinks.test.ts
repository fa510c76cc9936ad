// Keeps errors from going unheard or around pino: console.error only where no logger can exist yet, and every
// Redis client, BullMQ queue and worker built where an `error` listener is attached (scanned in the source).
import { globSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const sources = globSync(['src/**/*.ts', 'workers/**/*.ts'], { cwd: root }).map((path) => ({
  path,
  text: readFileSync(new URL(path, root), 'utf8'),
}));

/** Files whose text matches `pattern`. */
function filesMatching(pattern: RegExp): string[] {
  return sources.filter(({ text }) => pattern.test(text)).map(({ path }) => path);
}

describe('error sinks', () => {
  it('finds the sources', () => {
    expect(sources.length).toBeGreaterThan(50);
  });

  it('calls console.error only for the configuration error printed before any logger exists', () => {
    expect(filesMatching(/console\.error\s*\(/)).toEqual(['src/config/config.ts']);
  });

  it('opens Redis clients only in createRedis, which logs their errors', () => {
    expect(filesMatching(/new (Redis|Cluster|CoalescingRedis)\s*[(<]/)).toEqual(['src/redis/connection.ts']);
  });

  it('opens BullMQ queues only in factories that log their errors', () => {
    const factories = filesMatching(/new Queue\s*[(<]/);
    expect(factories.sort()).toEqual(['src/queue/reply-queue.ts', 'src/tasks/task-queue.ts']);
    for (const path of factories) expect(filesMatching(/logQueueErrors\(queue, /)).toContain(path);
  });

  it('attaches an error listener to every BullMQ worker and queue-events instance', () => {
    const instances = sources.flatMap(({ path, text }) =>
      [...text.matchAll(/const (\w+) = new (?:Worker|QueueEvents)\s*[(<]/g)].map((match) => ({
        path,
        name: match[1]!,
        text,
      })),
    );
    expect(instances.length).toBeGreaterThan(0);
    for (const { path, name, text } of instances) {
      const listened = text.includes(`${name}.on('error'`) || text.includes(`logQueueErrors(${name}, `);
      expect(listened, `${path}: ${name} has no error listener`).toBe(true);
    }
    expect(filesMatching(/new (?:Worker|QueueEvents)\s*[(<]/)).toEqual([
      ...new Set(instances.map(({ path }) => path)),
    ]);
  });
});
