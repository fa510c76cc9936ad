/**
 * `/usage` and the operators' `/status` through the Discord sandbox with the real discord.js: a user sees their
 * own tokens per personality; only the bot's operators (`BOT_OWNER_IDS`) see the operator's totals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Personality } from '../../../src/state/index.js';
import { UsageRepository } from '../../../src/usage/index.js';
import { CommandHarness, isEphemeral, shownText } from './command-harness.js';

describe('usage commands', () => {
  let harness: CommandHarness;
  let operator: string;
  let member: string;
  let alice: Personality;

  beforeAll(async () => {
    harness = await CommandHarness.start({ env: { USER_DAILY_TOKENS: '5000' } });
    const { redis, prefix } = harness;
    operator = harness.addUser('operator');
    member = harness.addUser('member');
    // Sandbox user ids exist only once the harness runs: the operator joins the loaded config's owners here.
    (harness.config.usage.botOwnerIds as Set<string>).add(operator);
    alice = await harness.createPersonality({
      ownerId: member,
      name: 'Alice',
      visibility: 'public',
    });
    const usage = new UsageRepository(redis, { prefix });
    const answer = { provider: 'default', model: 'stub-model', promptTokens: 1000, completionTokens: 234 };
    await usage.count({
      userId: member,
      guildId: harness.guildId,
      personalityId: alice.id,
      usage: { ...answer, ownKey: false },
      at: Date.now(),
    });
    await usage.count({
      userId: member,
      guildId: harness.guildId,
      personalityId: 'since-removed',
      usage: { ...answer, ownKey: true, promptTokens: 10, completionTokens: 0 },
      at: Date.now(),
    });
    // The operator's totals are written at a flush (a worker's every few seconds).
    await usage.flush();
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  async function run(userId: string, command: string): Promise<{ text: string; ephemeral: boolean }> {
    const handle = harness.sandbox.runSlashCommand(userId, harness.channel(command), command);
    const response = await handle.waitForResponse((entry) => entry.kind === 'edit');
    return { text: shownText(response), ephemeral: isEphemeral(response) };
  }

  describe('/usage', () => {
    it('shows the caller their tokens today and this month per personality, privately', async () => {
      const { text, ephemeral } = await run(member, 'usage');
      expect(ephemeral).toBe(true);
      expect(text).toContain(
        "1,244 tokens in all: 1,234 tokens on the bot's keys, 10 tokens on your own keys",
      );
      expect(text).toContain('Alice: 1,234 tokens');
      expect(text).toContain('(a personality since removed): 10 tokens');
      expect(text).toContain("The bot's daily allowance per person: 5,000 tokens (1,234 tokens used today");
      expect(text).toContain('This month (UTC)');
    });

    it('shows someone with nothing counted that nothing was', async () => {
      const { text } = await run(operator, 'usage');
      expect(text).toContain('No tokens yet.');
    });
  });

  describe('/status', () => {
    it("shows the bot's operators the operator's totals per model and server", async () => {
      const { text, ephemeral } = await run(operator, 'status');
      expect(ephemeral).toBe(true);
      expect(text).toContain('Tokens today (UTC, operator view)');
      expect(text).toContain("Your keys paid 1,234 tokens; users' own keys 10 tokens");
      expect(text).toContain('default/stub-model: 1,000 tokens prompt · 234 tokens completion');
      expect(text).toContain(`Server \`${harness.guildId}\`: 1,234 tokens`);
    });

    it('shows everyone else /status as before, without the totals', async () => {
      const { text } = await run(member, 'status');
      expect(text).toContain('Replies on the way');
      expect(text).not.toContain('operator view');
    });
  });
});
