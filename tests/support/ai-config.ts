/**
 * AiService configuration for tests that run it against AI stubs: what a provider and the `ai` config hold
 * that such a test does not care about, filled in once.
 */
import type { Config, ProviderConfig } from '../../src/config/index.js';

/** What a test must say about a provider; {@link buildStubProvider} fills the rest. */
export type StubProviderFields = Pick<ProviderConfig, 'name' | 'baseUrl' | 'apiKey'> &
  Partial<ProviderConfig>;

/** A provider of `stub-small`: no vision, no usage in streams, 32k context, unless `fields` say. */
export function buildStubProvider(fields: StubProviderFields): ProviderConfig {
  return {
    models: ['stub-small'],
    defaultModel: 'stub-small',
    contextTokens: new Map(),
    defaultContextTokens: 32_768,
    visionModels: new Set(),
    fetchesImageUrls: false,
    streamUsage: false,
    ...fields,
  };
}

export interface TestAiConfigOptions {
  /** @defaultValue 5_000 */
  readonly timeoutMs?: number;
  /** @defaultValue 0: a failure is seen at once */
  readonly maxRetries?: number;
  /** Calls a breaker needs before it may open (at half of them failing). @defaultValue 3 */
  readonly volumeThreshold?: number;
  /** @defaultValue 60_000 */
  readonly resetTimeoutMs?: number;
}

/** The `ai` config over `providers`, the first one the default. */
export function buildAiConfig(
  providers: readonly ProviderConfig[],
  options: TestAiConfigOptions = {},
): Config['ai'] {
  const [defaultProvider] = providers;
  if (defaultProvider === undefined) throw new Error('an ai config needs a provider');
  return {
    timeoutMs: options.timeoutMs ?? 5_000,
    maxRetries: options.maxRetries ?? 0,
    providers: new Map(providers.map((provider) => [provider.name, provider])),
    defaultProvider: defaultProvider.name,
    breaker: {
      errorThresholdPercentage: 50,
      volumeThreshold: options.volumeThreshold ?? 3,
      resetTimeoutMs: options.resetTimeoutMs ?? 60_000,
    },
  };
}
