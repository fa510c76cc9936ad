import type { RedisClient } from '../redis/index.js';
import {
  buildCounterSpec,
  type CounterWrite,
  loadScripts,
  RedisBatch,
  registerScripts,
  runScript,
} from '../redis/index.js';
import { type AnswerUsage, findPayer, type Payer, sumTokens } from './answer-usage.js';
import {
  buildGuildUsageKey,
  buildModelUsageKey,
  buildPeriodName,
  buildPersonalityUsageKey,
  buildQuotaNoticeKey,
  buildUserUsageKey,
} from './keys.js';
import type { QuotaUsage } from './quota.js';
import { SharedUsageTotals } from './shared-usage-totals.js';
import {
  buildDayStamp,
  buildMonthStamp,
  DAY_COUNTER_TTL_SECONDS,
  MONTH_COUNTER_TTL_SECONDS,
} from './usage-period.js';

// Read once per process at import: the scripts are part of the code, like the modules beside them.
const USAGE_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Options for {@link UsageRepository}. */
export interface UsageRepositoryOptions {
  /** `REDIS_PREFIX`. */
  readonly prefix: string;
  /** At most one quota notice per user in this window, ms. @defaultValue 600_000 */
  readonly noticeWindowMs: number;
  /**
   * Called once per answer counted, after its counters were written (the worker feeds Prometheus from it).
   * @defaultValue a no-op
   */
  readonly onCounted: (usage: AnswerUsage) => void;
  /**
   * How often the counters no user owns (server, personality, provider/model) are written, ms: they are added
   * up in this process meanwhile (see SharedUsageTotals for what a crash loses). @defaultValue 5000
   */
  readonly flushIntervalMs: number;
  /** Told when a timed write of those counters failed (kept for the next one). @defaultValue a no-op */
  readonly onFlushFailed: (error: unknown) => void;
}

/** One reply's answer to count. */
export interface UsageEntry {
  readonly userId: string;
  /** null in DMs. */
  readonly guildId: string | null;
  readonly personalityId: string;
  readonly usage: AnswerUsage;
  /** When the answer came (Unix ms): names its day and month. */
  readonly at: number;
}

/** A user's tokens in one period. */
export interface UserPeriodUsage {
  readonly operator: number;
  readonly own: number;
  /** Personality id → tokens of its replies to the user, whoever paid; largest first. */
  readonly byPersonality: ReadonlyArray<{ readonly personalityId: string; readonly tokens: number }>;
}

/** What `/usage` shows a user. */
export interface UserUsage {
  readonly day: UserPeriodUsage;
  readonly month: UserPeriodUsage;
}

/** One provider/model's tokens in one period, by payer. */
export interface ModelUsage {
  readonly provider: string;
  readonly model: string;
  readonly payer: Payer;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** The operator's totals in one period. */
export interface OperatorPeriodUsage {
  /** Largest first. */
  readonly models: readonly ModelUsage[];
  /** The servers with the most operator-paid tokens, largest first. */
  readonly topGuilds: ReadonlyArray<{ readonly guildId: string; readonly tokens: number }>;
}

/** What `/status` shows the bot's operators. */
export interface OperatorUsage {
  readonly day: OperatorPeriodUsage;
  readonly month: OperatorPeriodUsage;
}

/**
 * A user's period hash holds one field per payer and personality, `<payer>:<personalityId>`, so a reply adds one
 * counter per period; the payer's totals are their sums. Older versions wrote the totals (`operator`, `own`) and
 * `p:<personalityId>` (both payers) beside each other: those still count, added to the newer fields.
 */
const LEGACY_PERSONALITY_FIELD = 'p:';

/**
 * Token counters per user, server, personality and provider/model, per UTC day and month (docs/usage.md).
 * Every key expires. A user's counters are written at once (a reply's, by its history's script); the shared
 * ones are added up in this process and written every `flushIntervalMs` ({@link SharedUsageTotals}).
 */
export class UsageRepository implements AsyncDisposable {
  readonly options: Readonly<UsageRepositoryOptions>;
  readonly #totals: SharedUsageTotals;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<UsageRepositoryOptions, 'prefix'> & Partial<UsageRepositoryOptions>,
  ) {
    this.options = {
      noticeWindowMs: 600_000,
      onCounted: () => {},
      flushIntervalMs: 5000,
      onFlushFailed: () => {},
      ...options,
    };
    this.#totals = new SharedUsageTotals({
      flushIntervalMs: this.options.flushIntervalMs,
      onFlushFailed: this.options.onFlushFailed,
      write: (writes) =>
        RedisBatch.together((batch) =>
          Promise.allSettled(writes.map((write) => this.writeCounters([write], batch))),
        ),
    });
  }

  /**
   * Counts one answer: the user's counters now, in one script call (in `batch` when given), the shared ones at
   * the next flush. The caller counts each reply once (it holds the history claim).
   */
  async count(entry: UsageEntry, batch?: RedisBatch): Promise<void> {
    await this.writeCounters(this.buildUserCounters(entry), batch);
    this.countShared(entry);
  }

  /**
   * The user's counters of one answer (day and month, in the user's slot), for a script that writes them with
   * the reply's other writes (see src/redis/lua/shared/addToCounters.lua); {@link UsageRepository.countShared}
   * then counts the rest, once they are written.
   */
  buildUserCounters(entry: UsageEntry): CounterWrite[] {
    const { userId, personalityId, usage } = entry;
    const tokens = sumTokens(usage);
    const add = new Map([[`${findPayer(usage)}:${personalityId}`, tokens]]);
    return this.buildPeriods(entry.at).map(([period, ttlSeconds]) => ({
      key: buildUserUsageKey(this.options.prefix, userId, period),
      kind: 'hash',
      ttlSeconds,
      add,
    }));
  }

  /** Adds an answer whose user counters are written to the shared totals (written at the next flush). */
  countShared(entry: UsageEntry): void {
    const { guildId, personalityId, usage } = entry;
    const { prefix } = this.options;
    const tokens = sumTokens(usage);
    const payer = findPayer(usage);
    const model = `${usage.provider}/${usage.model}`;
    const writes: CounterWrite[] = [];
    for (const [period, ttlSeconds] of this.buildPeriods(entry.at)) {
      writes.push(
        {
          key: buildPersonalityUsageKey(prefix, period),
          kind: 'zset',
          ttlSeconds,
          add: new Map([[personalityId, tokens]]),
        },
        {
          key: buildModelUsageKey(prefix, period),
          kind: 'hash',
          ttlSeconds,
          add: new Map([
            [`${payer}:${model}:prompt`, usage.promptTokens],
            [`${payer}:${model}:completion`, usage.completionTokens],
          ]),
        },
      );
      // A server's counter is the operator's cost there: what its quota and the operators' top list weigh.
      if (guildId !== null && payer === 'operator')
        writes.push({
          key: buildGuildUsageKey(prefix, period),
          kind: 'zset',
          ttlSeconds,
          add: new Map([[guildId, tokens]]),
        });
    }
    this.#totals.add(writes);
    this.options.onCounted(usage);
  }

  /** Writes the shared totals added so far (the timer does it every `flushIntervalMs`). */
  flush(): Promise<void> {
    return this.#totals.flush();
  }

  /** Writes what is left of the shared totals and stops their timer (the worker's shutdown). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#totals[Symbol.asyncDispose]();
  }

  /** One script call for counters of one slot (one user's, or one shared key). */
  private async writeCounters(writes: readonly CounterWrite[], batch?: RedisBatch): Promise<void> {
    registerScripts(this.redis, USAGE_SCRIPTS);
    await runScript<number>(
      this.redis,
      'addCounters',
      writes.map((write) => write.key),
      writes.map(buildCounterSpec),
      batch,
    );
  }

  private buildPeriods(at: number): ReadonlyArray<readonly [period: string, ttlSeconds: number]> {
    return [
      [buildPeriodName('day', buildDayStamp(at)), DAY_COUNTER_TTL_SECONDS],
      [buildPeriodName('month', buildMonthStamp(at)), MONTH_COUNTER_TTL_SECONDS],
    ];
  }

  /** Today's operator-paid tokens of the user and of the server (null in DMs), in `batch`: what quotas weigh. */
  async fetchQuotaUsage(
    userId: string,
    guildId: string | null,
    now: number,
    batch?: RedisBatch,
  ): Promise<QuotaUsage> {
    const day = buildPeriodName('day', buildDayStamp(now));
    const userKey = buildUserUsageKey(this.options.prefix, userId, day);
    const guildsKey = buildGuildUsageKey(this.options.prefix, day);
    const [user, guild] = await Promise.all([
      RedisBatch.send<Record<string, string>>(this.redis, batch, userKey, (p) => p.hgetall(userKey)),
      guildId === null
        ? null
        : RedisBatch.send<string | null>(this.redis, batch, guildsKey, (p) => p.zscore(guildsKey, guildId)),
    ]);
    return {
      userTokens: readUserPeriod(user).operator,
      guildTokens: guildId === null ? null : Number(guild ?? 0),
    };
  }

  /** true when the user has not been told of a quota in the current window (and now counts as told). */
  async claimQuotaNotice(userId: string): Promise<boolean> {
    const key = buildQuotaNoticeKey(this.options.prefix, userId);
    return (await this.redis.set(key, '1', 'PX', this.options.noticeWindowMs, 'NX')) === 'OK';
  }

  /** The user's tokens today and this month (UTC), in one round trip. */
  async fetchUserUsage(userId: string, now: number): Promise<UserUsage> {
    const { prefix } = this.options;
    const dayKey = buildUserUsageKey(prefix, userId, buildPeriodName('day', buildDayStamp(now)));
    const monthKey = buildUserUsageKey(prefix, userId, buildPeriodName('month', buildMonthStamp(now)));
    const [day, month] = await RedisBatch.together((batch) =>
      Promise.all([
        RedisBatch.send<Record<string, string>>(this.redis, batch, dayKey, (p) => p.hgetall(dayKey)),
        RedisBatch.send<Record<string, string>>(this.redis, batch, monthKey, (p) => p.hgetall(monthKey)),
      ]),
    );
    return { day: readUserPeriod(day), month: readUserPeriod(month) };
  }

  /** The operator's totals today and this month (UTC): per provider/model, and the `topGuilds` largest servers. */
  async fetchOperatorUsage(now: number, topGuilds: number): Promise<OperatorUsage> {
    const { prefix } = this.options;
    const periods = [
      buildPeriodName('day', buildDayStamp(now)),
      buildPeriodName('month', buildMonthStamp(now)),
    ];
    const [day, month] = await RedisBatch.together((batch) =>
      Promise.all(
        periods.map(async (period) => {
          const modelsKey = buildModelUsageKey(prefix, period);
          const guildsKey = buildGuildUsageKey(prefix, period);
          const [models, guilds] = await Promise.all([
            RedisBatch.send<Record<string, string>>(this.redis, batch, modelsKey, (p) =>
              p.hgetall(modelsKey),
            ),
            RedisBatch.send<string[]>(this.redis, batch, guildsKey, (p) =>
              p.zrevrange(guildsKey, 0, Math.max(0, topGuilds - 1), 'WITHSCORES'),
            ),
          ]);
          return { models: readModels(models), topGuilds: topGuilds > 0 ? readScores(guilds) : [] };
        }),
      ),
    );
    return { day: day!, month: month! };
  }
}

function readUserPeriod(fields: Record<string, string>): UserPeriodUsage {
  const totals = { operator: 0, own: 0 };
  const byId = new Map<string, number>();
  const addTo = (personalityId: string, tokens: number) =>
    byId.set(personalityId, (byId.get(personalityId) ?? 0) + tokens);
  for (const [field, value] of Object.entries(fields)) {
    const tokens = Number(value);
    const separator = field.indexOf(':');
    const head = separator < 0 ? field : field.slice(0, separator);
    if (head !== 'operator' && head !== 'own') {
      if (field.startsWith(LEGACY_PERSONALITY_FIELD))
        addTo(field.slice(LEGACY_PERSONALITY_FIELD.length), tokens);
      continue;
    }
    totals[head] += tokens;
    if (separator >= 0) addTo(field.slice(separator + 1), tokens);
  }
  const byPersonality = [...byId]
    .map(([personalityId, tokens]) => ({ personalityId, tokens }))
    .sort((left, right) => right.tokens - left.tokens);
  return { ...totals, byPersonality };
}

/** `<payer>:<provider>/<model>:<kind>` fields, folded into one entry per payer and model. */
function readModels(fields: Record<string, string>): ModelUsage[] {
  const models = new Map<string, { -readonly [K in keyof ModelUsage]: ModelUsage[K] }>();
  for (const [field, value] of Object.entries(fields)) {
    const payerEnd = field.indexOf(':');
    const kindStart = field.lastIndexOf(':');
    const name = field.slice(payerEnd + 1, kindStart);
    const slash = name.indexOf('/');
    if (payerEnd < 0 || kindStart <= payerEnd || slash < 0) continue;
    const payer: Payer = field.slice(0, payerEnd) === 'own' ? 'own' : 'operator';
    const id = `${payer}:${name}`;
    const entry = models.get(id) ?? {
      provider: name.slice(0, slash),
      model: name.slice(slash + 1),
      payer,
      promptTokens: 0,
      completionTokens: 0,
    };
    if (field.endsWith(':prompt')) entry.promptTokens += Number(value);
    else entry.completionTokens += Number(value);
    models.set(id, entry);
  }
  return [...models.values()].sort(
    (left, right) => sumTokens(right) - sumTokens(left) || left.provider.localeCompare(right.provider),
  );
}

/** A `ZREVRANGE … WITHSCORES` reply as id and tokens. */
function readScores(reply: readonly string[]): Array<{ guildId: string; tokens: number }> {
  const scores: Array<{ guildId: string; tokens: number }> = [];
  for (let index = 0; index + 1 < reply.length; index += 2)
    scores.push({ guildId: reply[index]!, tokens: Number(reply[index + 1]) });
  return scores;
}
