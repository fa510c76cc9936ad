/**
 * `/apikey` end to end: the gateway-side handler stores keys and queues tests; an in-process task worker
 * (the real TaskProcessor, AiService and BullMQ) tests them against the AI stub and edits the deferred reply.
 * Keys must be ciphertext in Redis and absent from every log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import type { InteractionResponse } from '../../../sandbox/index.js';
import { CommandHarness, isEphemeral } from './command-harness.js';

const GOOD_KEY = 'sk-user-good-0123456789abcdef';
const BAD_KEY = 'sk-user-bad-fedcba9876543210';

describe('/apikey', () => {
  let stub: AiStub;
  let harness: CommandHarness;
  let alice: string;
  let bob: string;
  let channel: string;

  beforeAll(async () => {
    stub = await AiStub.start();
    harness = await CommandHarness.start({ env: { AI_BASE_URL: stub.baseUrl } });
    await harness.startTaskWorker();
    alice = harness.addUser('alice');
    bob = harness.addUser('bob');
    channel = harness.channel('keys');
    stub.setKeyBehaviour(BAD_KEY, { rejectKey: true });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
    await stub?.close();
  });

  /** Runs `/apikey test` and resolves with the worker's edit of the reply. */
  async function testKey(
    userId: string,
  ): Promise<{ first: InteractionResponse; result: InteractionResponse }> {
    const handle = harness.sandbox.runSlashCommand(userId, channel, 'apikey', {}, { subcommand: 'test' });
    const first = await handle.waitForResponse();
    const result = await handle.waitForResponse((response) => response.kind === 'edit', 10_000);
    return { first, result };
  }

  /** Every value stored under the user's hash tag, as text. */
  async function storedValues(userId: string): Promise<string[]> {
    const keys = await harness.redis.keys(`${harness.prefix}*{u:${userId}}*`);
    const values: string[] = [];
    for (const key of keys) {
      const type = await harness.redis.type(key);
      if (type === 'hash') values.push(JSON.stringify(await harness.redis.hgetall(key)));
      else if (type === 'string') values.push((await harness.redis.get(key)) ?? '');
      else values.push(`${key}:${type}`);
    }
    return values;
  }

  describe('set', () => {
    it('stores the key encrypted and answers privately with its fingerprint only', async () => {
      const response = await harness.run(alice, channel, 'apikey', { key: GOOD_KEY }, { subcommand: 'set' });
      expect(isEphemeral(response)).toBe(true);
      expect(response.content).toMatch(/^Saved your key for \*\*default\*\* \(fingerprint `[0-9a-f]+`\)\./u);
      expect(response.content).not.toContain(GOOD_KEY);
      const stored = await storedValues(alice);
      expect(stored.join('\n')).toContain('sealed');
      expect(stored.join('\n')).not.toContain(GOOD_KEY);
      expect(stored.join('\n')).not.toContain(GOOD_KEY.slice(3, 20));
    });

    it.each([
      [
        'a key with a space',
        { key: 'sk-has space' },
        'Key: must be 1–500 characters without spaces or line breaks.',
      ],
      [
        'an unknown provider',
        { key: GOOD_KEY, provider: 'nope' },
        'Provider “nope” is not configured. Choose one of: default, other.',
      ],
    ])('refuses %s privately', async (_label, options, message) => {
      const response = await harness.run(bob, channel, 'apikey', options, { subcommand: 'set' });
      expect(isEphemeral(response)).toBe(true);
      expect(response.content).toBe(message);
      expect(await storedValues(bob)).toEqual([]);
    });
  });

  describe('test', () => {
    it('has a worker test the key and edit the reply with the result', async () => {
      const { first, result } = await testKey(alice);
      expect(isEphemeral(first)).toBe(true);
      expect(first.content).toMatch(/^Testing your key for \*\*default\*\* \(fingerprint `[0-9a-f]+`\)…$/u);
      expect(result.content).toMatch(
        /^Your key for \*\*default\*\* \(fingerprint `[0-9a-f]+`\) works: stub-model answered in \d+ ms\.$/u,
      );
      expect(stub.requests.at(-1)?.apiKey).toBe(GOOD_KEY);
    });

    it('says clearly why a bad key fails, without affecting another user’s key', async () => {
      await harness.run(bob, channel, 'apikey', { key: BAD_KEY }, { subcommand: 'set' });
      const bad = await testKey(bob);
      expect(bad.result.content).toMatch(
        /^Your key for \*\*default\*\* \(fingerprint `[0-9a-f]+`\) does not work: the provider refused this key \(HTTP 401\)\.$/u,
      );
      const good = await testKey(alice);
      expect(good.result.content).toContain('works');
    });
  });

  describe('remove', () => {
    it('deletes the key, after which there is nothing to test', async () => {
      const removed = await harness.run(bob, channel, 'apikey', {}, { subcommand: 'remove' });
      expect(removed.content).toMatch(/^Deleted your key for \*\*default\*\* \(fingerprint `[0-9a-f]+`\)\./u);
      const again = await harness.run(bob, channel, 'apikey', {}, { subcommand: 'remove' });
      expect(again.content).toBe('You have no key stored for **default**. Add one with /apikey set.');
      const test = await harness.run(bob, channel, 'apikey', {}, { subcommand: 'test' });
      expect(test.content).toBe('You have no key stored for **default**. Add one with /apikey set.');
    });
  });

  describe('logs', () => {
    it('never contain a key, and carry the fingerprint instead', () => {
      const all = harness.logLines.join('\n');
      expect(all).not.toContain(GOOD_KEY);
      expect(all).not.toContain(BAD_KEY);
      expect(all).not.toContain('0123456789abcdef');
      const tested = harness.logs().filter((line) => line['msg'] === 'api key tested');
      expect(tested.length).toBeGreaterThanOrEqual(3);
      expect(tested.every((line) => typeof line['keyFingerprint'] === 'string')).toBe(true);
    });
  });
});
