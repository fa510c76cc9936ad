import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Which process the metrics describe; stamped as the `service` label on every series. */
export type MetricsService = 'gateway' | 'worker';

/** Required options of {@link createMetrics}. */
export interface RequiredMetricsOptions {
  service: MetricsService;
}

/** Optional options of {@link createMetrics}. */
export interface OptionalMetricsOptions {
  /** Also export prom-client's process and Node.js runtime metrics (CPU, memory, event-loop lag, GC). @defaultValue true */
  collectDefault: boolean;
}

export type MetricsOptions = RequiredMetricsOptions & Partial<OptionalMetricsOptions>;

export const DefaultMetricsOptions = {
  collectDefault: true,
} as const satisfies Required<OptionalMetricsOptions>;

/** Why the gateway refused to enqueue a reply (the fair-admission outcomes). */
export type JobRefusalReason = 'user-pending' | 'user-rate' | 'queue-full' | 'server-pending' | 'server-rate';

/** A circuit breaker's state; exported as 0 closed, 1 half-open, 2 open. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** The gauge value of each {@link BreakerState}: ordered so the worst state is the largest number. */
export const BreakerStateValue = { closed: 0, 'half-open': 1, open: 2 } as const satisfies Record<
  BreakerState,
  number
>;

/** Labels naming one AI model of one provider; both come from operator configuration, so they stay few. */
export interface ModelLabels {
  provider: string;
  model: string;
}

/** A counter whose label values are typed; every label value must come from a small, fixed set. */
export interface LabeledCounter<Labels extends object> {
  inc(labels: Labels, value?: number): void;
}

/** A histogram whose label values are typed; observations are in seconds. */
export interface LabeledHistogram<Labels extends object> {
  observe(labels: Labels, seconds: number): void;
}

/**
 * Job counts by queue state (`waiting`, `active`, `delayed`, `prioritized`, …), read from Redis when
 * Prometheus scrapes. State names become label values, so the collector must return a fixed set of them.
 */
export type QueueDepthCollector = () => Promise<Readonly<Record<string, number>>>;

/** The queue-depth gauge: filled on scrape by the collector the queue module injects. */
export interface QueueDepthGauge {
  /** Sets (or replaces) the collector read on each scrape. Until one is set the gauge has no series. */
  collectWith(collector: QueueDepthCollector): void;
}

/**
 * The breaker-state gauge. Breakers are per provider, model and API key, but the key's fingerprint is not a
 * label (one series per user key would be unbounded): each (provider, model) series shows the WORST state
 * among its breakers.
 */
export interface BreakerStateGauge {
  /** Records that breaker `breakerId` (e.g. the key fingerprint) of this model is now in `state`. */
  report(labels: ModelLabels, breakerId: string, state: BreakerState): void;
  /** Stops counting a breaker that was discarded (an evicted per-key breaker). */
  forget(labels: ModelLabels, breakerId: string): void;
}

/** Every Chorus metric of one process, plus the registry `/metrics` serves. */
export interface ChorusMetrics {
  /** This process's own registry (never prom-client's global one, so instances and tests do not collide). */
  readonly registry: Registry;
  /** `chorus_messages_seen_total{reason}`: messages the gateway looked at, by trigger (`mention`, `reply`,
   * `activation`, `dm`) or by why it ignored them (`bot`, `no-personality`, …). */
  readonly messagesSeen: LabeledCounter<{ reason: string }>;
  /** `chorus_jobs_enqueued_total`: reply jobs admitted to the queue. */
  readonly jobsEnqueued: { inc(value?: number): void };
  /** `chorus_jobs_refused_total{reason}`: reply jobs the fair admission refused. */
  readonly jobsRefused: LabeledCounter<{ reason: JobRefusalReason }>;
  /** `chorus_queue_depth{state}`: jobs in the queue by state, read on scrape. */
  readonly queueDepth: QueueDepthGauge;
  /** `chorus_job_wait_seconds`: from enqueue to a worker starting the job. */
  readonly jobWaitSeconds: { observe(seconds: number): void };
  /** `chorus_job_duration_seconds{outcome}`: a worker's time on one job attempt, by a fixed set of outcomes
   * (e.g. `replied`, `failed`, `retrying`, `dropped`). */
  readonly jobDurationSeconds: LabeledHistogram<{ outcome: string }>;
  /** `chorus_ai_latency_seconds{provider,model}`: one chat-completion call, successful or not. */
  readonly aiLatencySeconds: LabeledHistogram<ModelLabels>;
  /** `chorus_ai_errors_total{provider,model,kind}`: failed AI calls by a fixed set of kinds (`timeout`,
   * `rate-limited`, `breaker-open`, `rejected`, `server`, …). */
  readonly aiErrors: LabeledCounter<ModelLabels & { kind: string }>;
  /** `chorus_ai_breaker_state{provider,model}`: 0 closed, 1 half-open, 2 open (worst over the model's keys). */
  readonly breakerState: BreakerStateGauge;
  /** `chorus_ai_fallback_answers_total{provider,model}`: replies a personality's fallback model gave while its
   * own was down, by the fallback that answered. */
  readonly aiFallbackAnswers: LabeledCounter<ModelLabels>;
  /**
   * `chorus_ai_tokens_total{provider,model,kind,payer}`: tokens of answered replies as providers counted them,
   * `kind` `prompt` or `completion`, `payer` `operator` or `own` (a user's own key). Counted once per reply,
   * with its usage counters (docs/usage.md); never a user id.
   */
  readonly aiTokens: LabeledCounter<
    ModelLabels & { kind: 'prompt' | 'completion'; payer: 'operator' | 'own' }
  >;
  /** `chorus_webhook_posts_total{outcome}`: webhook executions by outcome (`posted`, `retried`, `failed`, …). */
  readonly webhookPosts: LabeledCounter<{ outcome: string }>;
  /** `chorus_discord_rate_limited_total{scope}`: 429s from Discord by `X-RateLimit-Scope` (`user`, `global`,
   * `shared`). */
  readonly discordRateLimited: LabeledCounter<{ scope: string }>;
  /** `chorus_webhook_cache_lookups_total{result}`: webhook cache lookups, `hit` or `miss`. */
  readonly webhookCacheLookups: LabeledCounter<{ result: 'hit' | 'miss' }>;
}

/** Seconds. Queue waits and job runs: a few ms when idle, tens of seconds behind a flood or a slow model. */
const JOB_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
/** Seconds. Chat completions: rarely under 50 ms, bounded by AI_TIMEOUT_MS (60 s by default). */
const AI_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 45, 60, 90];

/** Creates a fresh registry holding every Chorus metric for `service`. */
export function createMetrics(options: MetricsOptions): ChorusMetrics {
  const settings = { ...DefaultMetricsOptions, ...options };
  const registry = new Registry();
  registry.setDefaultLabels({ service: settings.service });
  if (settings.collectDefault) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  return {
    registry,
    messagesSeen: new Counter({
      name: 'chorus_messages_seen_total',
      help: 'Messages the gateway examined, by trigger or by the reason it ignored them.',
      labelNames: ['reason'],
      registers,
    }),
    jobsEnqueued: new Counter({
      name: 'chorus_jobs_enqueued_total',
      help: 'Reply jobs admitted to the queue.',
      registers,
    }),
    jobsRefused: new Counter({
      name: 'chorus_jobs_refused_total',
      help: 'Reply jobs refused at admission: user-pending, user-rate, queue-full, server-pending or server-rate.',
      labelNames: ['reason'],
      registers,
    }),
    queueDepth: createQueueDepthGauge(registers),
    jobWaitSeconds: new Histogram({
      name: 'chorus_job_wait_seconds',
      help: 'Seconds from enqueue until a worker starts the job.',
      buckets: JOB_BUCKETS_SECONDS,
      registers,
    }),
    jobDurationSeconds: new Histogram({
      name: 'chorus_job_duration_seconds',
      help: 'Seconds a worker spent on one job attempt, by outcome.',
      labelNames: ['outcome'],
      buckets: JOB_BUCKETS_SECONDS,
      registers,
    }),
    aiLatencySeconds: new Histogram({
      name: 'chorus_ai_latency_seconds',
      help: 'Seconds per chat-completion call, by provider and model.',
      labelNames: ['provider', 'model'],
      buckets: AI_BUCKETS_SECONDS,
      registers,
    }),
    aiErrors: new Counter({
      name: 'chorus_ai_errors_total',
      help: 'Failed chat-completion calls, by provider, model and kind of failure.',
      labelNames: ['provider', 'model', 'kind'],
      registers,
    }),
    breakerState: createBreakerStateGauge(registers),
    aiFallbackAnswers: new Counter({
      name: 'chorus_ai_fallback_answers_total',
      help: "Completions a fallback model answered while the personality's own model was down, by the fallback's provider and model.",
      labelNames: ['provider', 'model'],
      registers,
    }),
    aiTokens: new Counter({
      name: 'chorus_ai_tokens_total',
      help: 'Tokens of answered replies as providers counted them, by provider, model, kind (prompt, completion) and payer (operator, own).',
      labelNames: ['provider', 'model', 'kind', 'payer'],
      registers,
    }),
    webhookPosts: new Counter({
      name: 'chorus_webhook_posts_total',
      help: 'Webhook executions, by outcome.',
      labelNames: ['outcome'],
      registers,
    }),
    discordRateLimited: new Counter({
      name: 'chorus_discord_rate_limited_total',
      help: 'HTTP 429 responses from Discord, by rate-limit scope.',
      labelNames: ['scope'],
      registers,
    }),
    webhookCacheLookups: new Counter({
      name: 'chorus_webhook_cache_lookups_total',
      help: 'Webhook cache lookups, by result (hit or miss).',
      labelNames: ['result'],
      registers,
    }),
  };
}

function createQueueDepthGauge(registers: Registry[]): QueueDepthGauge {
  let collector: QueueDepthCollector | undefined;
  new Gauge({
    name: 'chorus_queue_depth',
    help: 'Jobs in the reply queue, by state, read from Redis at scrape time.',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      if (!collector) return;
      let counts: Readonly<Record<string, number>>;
      try {
        counts = await collector();
      } catch {
        // Redis unreachable: publish no series (alert on absent()) rather than failing the whole scrape,
        // which would hide every other metric exactly when they matter.
        return;
      }
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  return {
    collectWith(next) {
      collector = next;
    },
  };
}

function createBreakerStateGauge(registers: Registry[]): BreakerStateGauge {
  const gauge = new Gauge({
    name: 'chorus_ai_breaker_state',
    help: 'Circuit breaker state per provider and model: 0 closed, 1 half-open, 2 open (worst over its API keys).',
    labelNames: ['provider', 'model'],
    registers,
  });
  // (provider, model) → breaker id → state value. Bounded by the breakers the AI module keeps alive.
  const states = new Map<string, Map<string, number>>();
  const update = (labels: ModelLabels, breakers: Map<string, number>) => {
    const series = { provider: labels.provider, model: labels.model };
    if (breakers.size === 0) gauge.remove(series);
    else gauge.set(series, Math.max(...breakers.values()));
  };
  return {
    report(labels, breakerId, state) {
      const key = JSON.stringify([labels.provider, labels.model]);
      let breakers = states.get(key);
      if (!breakers) {
        breakers = new Map();
        states.set(key, breakers);
      }
      breakers.set(breakerId, BreakerStateValue[state]);
      update(labels, breakers);
    },
    forget(labels, breakerId) {
      const key = JSON.stringify([labels.provider, labels.model]);
      const breakers = states.get(key);
      if (!breakers?.delete(breakerId)) return;
      if (breakers.size === 0) states.delete(key);
      update(labels, breakers);
    },
  };
}
