/**
 * Interactions seen by several gateway replicas, or already answered: Discord 40060 and 10062 are logged at
 * debug and dropped, nothing crashes, and no command is applied twice.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHarness } from './command-harness.js';

const CALLBACK = /^\/interactions\/\d+\/[^/]+\/callback$/u;

/** Waits until a log line satisfies `predicate`. */
async function waitForLog(
  harness: CommandHarness,
  predicate: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const found = harness.logs().find(predicate);
    if (found) return found;
    await delay(20);
  }
  throw new Error('no matching log line');
}

const errorsOrWarnings = (harness: CommandHarness) =>
  harness.logs().filter((line) => Number(line['level']) >= 40);

describe('interaction resilience', () => {
  describe('when two gateway replicas receive every interaction', () => {
    let harness: CommandHarness;

    beforeAll(async () => {
      harness = await CommandHarness.start({ replicas: 2 });
    }, 30_000);

    afterAll(async () => {
      await harness?.close();
    });

    it('applies and answers each command once', async () => {
      const user = harness.addUser('twice');
      const channel = harness.channel('replicas');
      const handle = harness.sandbox.runSlashCommand(
        user,
        channel,
        'personality',
        { name: 'Solo', prompt: 'p' },
        { subcommand: 'create' },
      );
      const response = await handle.waitForResponse();
      expect(response.content).toMatch(/^Created \*\*Solo\*\*/u);
      await waitForLog(harness, (line) => line['msg'] === 'interaction claimed by another replica');
      await delay(100);
      expect(handle.responses).toHaveLength(1);
      expect(await harness.personalities.countByOwner(user)).toBe(1);
      expect(errorsOrWarnings(harness)).toEqual([]);
    });
  });

  describe('when Discord says the interaction is already answered or gone', () => {
    let harness: CommandHarness;

    beforeAll(async () => {
      harness = await CommandHarness.start();
    }, 30_000);

    afterAll(async () => {
      await harness?.close();
    });

    it.each([
      [40060, 400, 'Interaction has already been acknowledged.'],
      [10062, 404, 'Unknown interaction'],
    ])('logs %i at debug and moves on', async (code, status, message) => {
      const user = harness.addUser(`gone-${code}`);
      const channel = harness.channel(`gone-${code}`);
      const fault = harness.sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: CALLBACK,
        status,
        body: { code, message },
        times: 1,
      });
      const handle = harness.sandbox.runSlashCommand(
        user,
        channel,
        'personality',
        { name: `Quiet${code}`, prompt: 'p' },
        { subcommand: 'create' },
      );
      const logged = await waitForLog(
        harness,
        (line) => line['msg'] === 'interaction answered elsewhere' && line['discordCode'] === code,
      );
      expect(logged['level']).toBe(20);
      expect(fault.hits).toBe(1);
      expect(handle.responses).toEqual([]);
      // Applied once, by this replica, before Discord refused the answer.
      expect(await harness.personalities.countByOwner(user)).toBe(1);
      expect(errorsOrWarnings(harness)).toEqual([]);

      // The handler is still fine for the next interaction.
      const next = await harness.run(user, channel, 'help');
      expect(next.embeds).toHaveLength(1);
    });
  });
});
