/**
 * The worker's REST client (`createBotRest`) over real HTTP to a recording server, with the fleet limiter on real
 * Redis: which requests take a fleet slot, typing skipped while the budget is in use, and a global 429 pausing
 * the fleet.
 */
import type { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotRateLimiter, createBotRest, TypingSkippedError } from '../../../src/discord-rest/index.js';
import { buildBotRequestBlockKey, buildBotRequestSlotsKey } from '../../../src/discord-rest/keys.js';
import { createCapturedLogger } from '../../support/captured-logger.js';
import { type RecordingServer, startRecordingServer } from '../../support/recording-server.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const CHANNEL = '100000000000000001';
const INTERACTION = '100000000000000002';
const APPLICATION = '100000000000000003';
const RATE = 5;

let redis: Redis;
let prefix: string;
let server: RecordingServer;
/** What the server answers next, before falling back to 200 `{}`. */
let answers: Array<{ status: number; headers: Record<string, string>; body: string }>;

beforeAll(() => {
  redis = createTestRedis();
});
afterEach(async () => {
  await server.close();
  await deleteKeysWithPrefix(redis, prefix);
});
afterAll(() => {
  redis.disconnect();
});

async function botRest(ratePerSecond: number): Promise<REST> {
  prefix = createTestPrefix();
  answers = [];
  server = await startRecordingServer((_request, response) => {
    const answer = answers.shift() ?? { status: 200, headers: {}, body: '{}' };
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body);
  });
  return createBotRest({
    redis,
    prefix,
    apiUrl: `${server.url}/api`,
    token: 'bot-token',
    ratePerSecond,
    logger: createCapturedLogger().logger,
  });
}

const reservedSlots = () => redis.zcard(buildBotRequestSlotsKey(prefix));

/** Another worker (its own limiter on the same prefix) sends as many bot-token requests as the budget allows. */
async function useUpBudgetElsewhere(): Promise<void> {
  const otherWorker = new BotRateLimiter(redis, { prefix, ratePerSecond: RATE });
  for (let index = 0; index < RATE; index += 1) expect(await otherWorker.reserve(Date.now())).toBe(0);
}

describe('createBotRest', () => {
  describe('when it sends a bot-token request', () => {
    it('takes a fleet slot, and the next waits for the window once the budget is used', async () => {
      const rest = await botRest(1);
      // Timed from before the first request: its slot, not its answer, starts the window.
      const started = Date.now();
      await rest.get(Routes.channelMessages(CHANNEL));
      expect(await reservedSlots()).toBe(1);
      await rest.get(Routes.channelMessages(CHANNEL));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('when it answers an interaction', () => {
    it('sends the callback and the follow-up edit at once, taking no fleet slot', async () => {
      const rest = await botRest(RATE);
      await useUpBudgetElsewhere();
      const started = Date.now();
      await rest.post(Routes.interactionCallback(INTERACTION, 'interaction-token'), {
        body: { type: 5 },
        auth: false,
      });
      // Even with the bot token attached an interaction callback is outside the bot's global limit.
      await rest.post(Routes.interactionCallback(INTERACTION, 'interaction-token'), { body: { type: 5 } });
      await rest.patch(Routes.webhookMessage(APPLICATION, 'interaction-token', '@original'), {
        body: { content: 'done' },
        auth: false,
      });
      expect(Date.now() - started).toBeLessThan(500);
      expect(await reservedSlots()).toBe(RATE);
      expect(server.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'PATCH']);
    });
  });

  describe('when the budget is in use', () => {
    it('skips a typing indicator without sending it or waiting', async () => {
      const rest = await botRest(RATE);
      await useUpBudgetElsewhere();
      const started = Date.now();
      await expect(rest.post(Routes.channelTyping(CHANNEL))).rejects.toBeInstanceOf(TypingSkippedError);
      expect(Date.now() - started).toBeLessThan(500);
      expect(server.requests.some((request) => request.url.endsWith('/typing'))).toBe(false);
      expect(await reservedSlots()).toBe(RATE);
    });

    it('sends a typing indicator while a slot is free', async () => {
      const rest = await botRest(RATE);
      await rest.post(Routes.channelTyping(CHANNEL));
      expect(server.requests.map((request) => request.url)).toEqual([`/api/v10/channels/${CHANNEL}/typing`]);
    });
  });

  describe('when Discord answers a global 429', () => {
    it('blocks bot-token requests fleet-wide for its retry-after', async () => {
      const rest = await botRest(50);
      answers.push({
        status: 429,
        headers: { 'retry-after': '1', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
        body: '{"message":"You are being rate limited.","retry_after":1,"global":true}',
      });
      const sent = Date.now();
      await rest.post(Routes.channelMessages(CHANNEL), { body: { content: 'hi' } });
      expect(Number(await redis.get(buildBotRequestBlockKey(prefix)))).toBeGreaterThanOrEqual(sent + 1000);
      expect(server.requests).toHaveLength(2);
    });
  });
});
