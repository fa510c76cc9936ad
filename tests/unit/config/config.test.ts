import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { buildTestEnv } from '../../support/env.js';

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(buildTestEnv());
    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'chorus',
      cluster: false,
      waitReplicas: 0,
      waitTimeoutMs: 500,
      replyQueueShards: 1,
    });
    expect(config.discord.apiUrl).toBe('https://discord.com/api');
    expect(config.worker.concurrency).toBe(50);
    expect(config.limits).toMatchObject({
      maxPersonalitiesPerMessage: 3,
      userMaxPending: 5,
      userRatePerMinute: 6,
      userBurst: 3,
    });
    expect(config.webhooks.perChannel).toBe(2);
    expect(config.retention).toEqual({ userIndexMaxEntries: 500 });
    expect(config.http.port).toBe(0);
    expect(config.ai.defaultProvider).toBe('default');
    expect(config.ai.providers.get('default')).toMatchObject({
      models: ['stub-model'],
      apiKey: 'sk-test-operator-key',
    });
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.previousEncryptionKey).toBeUndefined();
  });

  describe('when ENCRYPTION_KEY_PREVIOUS is set (a key rotation)', () => {
    it('reads it as 32 bytes, and an empty value as unset', () => {
      const previous = 'cd'.repeat(32);
      expect(loadConfig(buildTestEnv({ ENCRYPTION_KEY_PREVIOUS: previous })).previousEncryptionKey).toEqual(
        Buffer.from(previous, 'hex'),
      );
      expect(loadConfig(buildTestEnv({ ENCRYPTION_KEY_PREVIOUS: '' })).previousEncryptionKey).toBeUndefined();
    });

    it('refuses a malformed one without printing it', () => {
      const secret = 'not-hex-previous-secret';
      const problems = problemsOf(buildTestEnv({ ENCRYPTION_KEY_PREVIOUS: secret }));
      expect(problems.some((problem) => problem.startsWith('ENCRYPTION_KEY_PREVIOUS:'))).toBe(true);
      expect(problems.join('\n')).not.toContain(secret);
    });
  });

  describe('when REDIS_WAIT_REPLICAS is unset or empty', () => {
    it.each([
      ['false', undefined, 0],
      ['true', undefined, 1],
      ['true', '', 1],
      ['true', '0', 0],
      ['false', '2', 2],
    ])('REDIS_CLUSTER=%s, REDIS_WAIT_REPLICAS=%s: waits for %i replicas', (cluster, replicas, expected) => {
      const env = buildTestEnv({ REDIS_CLUSTER: cluster, REDIS_WAIT_REPLICAS: replicas });
      expect(loadConfig(env).redis.waitReplicas).toBe(expected);
    });
  });

  describe('when variables are missing or malformed', () => {
    it('lists every problem by variable name in one error', () => {
      const problems = problemsOf({
        REDIS_URL: 'http://nope',
        WORKER_CONCURRENCY: 'many',
        HTTP_PORT: '70000',
      });
      const named = problems.map((problem) => problem.split(':')[0]);
      expect(named).toEqual(
        expect.arrayContaining([
          'DISCORD_TOKEN',
          'REDIS_URL',
          'WORKER_CONCURRENCY',
          'HTTP_PORT',
          'ENCRYPTION_KEY',
        ]),
      );
    });

    it('never prints a secret value', () => {
      const secret = 'abcdef-not-hex-secret-value';
      const error = (() => {
        try {
          loadConfig(buildTestEnv({ ENCRYPTION_KEY: secret }));
        } catch (caught) {
          return caught as ConfigError;
        }
        throw new Error('expected a ConfigError');
      })();
      expect(error.message).toContain('ENCRYPTION_KEY');
      expect(error.message).not.toContain(secret);
    });

    it('requires a provider', () => {
      expect(problemsOf(buildTestEnv({ AI_BASE_URL: undefined }))).toEqual([
        expect.stringMatching(/^AI_BASE_URL: is required unless AI_PROVIDERS/),
      ]);
    });

    it('rejects shard ids outside the shard count', () => {
      expect(problemsOf(buildTestEnv({ SHARD_COUNT: '2', SHARD_IDS: '0,2' }))).toEqual([
        expect.stringContaining('SHARD_IDS'),
      ]);
    });

    it('rejects a per-user index smaller than the jobs a user may have pending', () => {
      expect(problemsOf(buildTestEnv({ USER_MAX_PENDING: '50', USER_INDEX_MAX_ENTRIES: '20' }))).toEqual([
        expect.stringContaining('USER_INDEX_MAX_ENTRIES'),
      ]);
    });
  });

  describe('when AI_PROVIDERS is given', () => {
    const providers = {
      openrouter: {
        baseUrl: 'https://openrouter.ai/api/v1',
        apiKeyEnv: 'OPENROUTER_KEY',
        models: ['a', 'b'],
        defaultModel: 'b',
      },
    };

    it('reads inline JSON and resolves each key from its own variable', () => {
      const config = loadConfig(
        buildTestEnv({ AI_PROVIDERS: JSON.stringify(providers), OPENROUTER_KEY: 'sk-or-1' }),
      );
      expect(config.ai.providers.get('openrouter')).toMatchObject({ apiKey: 'sk-or-1', defaultModel: 'b' });
      expect([...config.ai.providers.keys()]).toEqual(['default', 'openrouter']);
    });

    it('asks for stream usage only where an entry says so, and by default for the AI_BASE_URL provider', () => {
      const withUsage = {
        ...providers,
        mistral: { ...providers.openrouter, streamUsage: false },
        groq: { ...providers.openrouter, streamUsage: true },
      };
      const config = loadConfig(buildTestEnv({ AI_PROVIDERS: JSON.stringify(withUsage) }));
      expect(config.ai.providers.get('default')?.streamUsage).toBe(true);
      expect(config.ai.providers.get('openrouter')?.streamUsage).toBe(false);
      expect(config.ai.providers.get('mistral')?.streamUsage).toBe(false);
      expect(config.ai.providers.get('groq')?.streamUsage).toBe(true);
      expect(
        loadConfig(buildTestEnv({ AI_STREAM_USAGE: 'false' })).ai.providers.get('default')?.streamUsage,
      ).toBe(false);
    });

    it('reads a JSON file', () => {
      const file = join(tmpdir(), `chorus-providers-${process.pid}.json`);
      writeFileSync(file, JSON.stringify(providers));
      const config = loadConfig(buildTestEnv({ AI_BASE_URL: undefined, AI_PROVIDERS: file }));
      expect(config.ai.defaultProvider).toBe('openrouter');
    });

    it('names the bad field of a bad provider', () => {
      const bad = { x: { ...providers.openrouter, models: [] } };
      expect(problemsOf(buildTestEnv({ AI_PROVIDERS: JSON.stringify(bad) }))).toEqual([
        expect.stringMatching(/^AI_PROVIDERS\.x\.models:/),
      ]);
    });

    it('reads which models take images and whether the provider fetches image URLs, both off by default', () => {
      const vision = { ...providers.openrouter, visionModels: ['b'], fetchesImageUrls: true };
      const config = loadConfig(
        buildTestEnv({ AI_PROVIDERS: JSON.stringify({ openrouter: vision, plain: providers.openrouter }) }),
      );
      expect(config.ai.providers.get('openrouter')).toMatchObject({
        visionModels: new Set(['b']),
        fetchesImageUrls: true,
      });
      expect(config.ai.providers.get('plain')).toMatchObject({
        visionModels: new Set(),
        fetchesImageUrls: false,
      });
    });

    it('refuses a vision model the provider does not list', () => {
      const bad = { x: { ...providers.openrouter, visionModels: ['c'] } };
      expect(problemsOf(buildTestEnv({ AI_PROVIDERS: JSON.stringify(bad) }))).toEqual([
        'AI_PROVIDERS.x.visionModels: c must be one of its models',
      ]);
    });
  });

  describe('attachments', () => {
    it("allows Discord's CDN only, and marks no model of the default provider as taking images", () => {
      const config = loadConfig(buildTestEnv());
      expect(config.attachments.allowedHosts).toEqual(['cdn.discordapp.com', 'media.discordapp.net']);
      expect(config.ai.providers.get('default')).toMatchObject({
        visionModels: new Set(),
        fetchesImageUrls: false,
      });
    });

    it("marks the default provider's model with AI_VISION and AI_FETCHES_IMAGE_URLS", () => {
      const config = loadConfig(
        buildTestEnv({ AI_VISION: 'true', AI_FETCHES_IMAGE_URLS: 'true', AI_MODEL: 'gpt-4o' }),
      );
      expect(config.ai.providers.get('default')).toMatchObject({
        visionModels: new Set(['gpt-4o']),
        fetchesImageUrls: true,
      });
    });

    it.each([
      ['CDN.Example.com, 127.0.0.1:4000', ['cdn.example.com', '127.0.0.1:4000']],
      ['', []],
    ])('reads ATTACHMENT_HOSTS=%j', (value, hosts) => {
      expect(loadConfig(buildTestEnv({ ATTACHMENT_HOSTS: value })).attachments.allowedHosts).toEqual(hosts);
    });

    it.each(['https://cdn.discordapp.com', 'cdn.discordapp.com/attachments', 'a,,b', '-bad.host'])(
      'refuses ATTACHMENT_HOSTS=%j',
      (value) => {
        expect(problemsOf(buildTestEnv({ ATTACHMENT_HOSTS: value }))).toEqual([
          expect.stringMatching(/^ATTACHMENT_HOSTS: must be a comma-separated list/),
        ]);
      },
    );
  });
});
