/** A complete, valid environment for tests that need a Config; override what a test is about. */
export function buildTestEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    DISCORD_TOKEN: 'test-bot-token',
    AI_BASE_URL: 'http://127.0.0.1:9/v1',
    AI_API_KEY: 'sk-test-operator-key',
    AI_MODEL: 'stub-model',
    ENCRYPTION_KEY: '0'.repeat(64),
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}
