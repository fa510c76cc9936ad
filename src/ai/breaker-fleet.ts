import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../log/index.js';
import { loadScripts, type RedisClient, registerScripts, runScript } from '../redis/index.js';
import { buildBreakerChannel, buildBreakerOpenKey, buildBreakerProbeKey } from './keys.js';

const AI_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** A breaker transition another worker announced. */
export type FleetTransition =
  | { readonly key: string; readonly state: 'open'; readonly probeInMs: number }
  | { readonly key: string; readonly state: 'closed' };

/** What the fleet tells a {@link BreakerRegistry}. */
export interface FleetListener {
  /** Another worker's breaker opened (with the deadline of its probe) or closed after a probe succeeded. */
  readonly onTransition: (transition: FleetTransition) => void;
  /** The subscription came back after a disconnect: transitions may have been missed meanwhile. */
  readonly onResubscribed: () => void;
}

/** Options of {@link BreakerFleet.start}. */
export interface BreakerFleetOptions {
  /** Commands connection (claims, leases, publishes). */
  readonly redis: RedisClient;
  /** A dedicated connection: a subscribed connection takes no other commands. Disconnected on dispose. */
  readonly subscriber: RedisClient;
  /** `REDIS_PREFIX`. */
  readonly prefix: string;
  readonly logger: Logger;
}

const TransitionMessageSchema = z.discriminatedUnion('state', [
  z.object({
    origin: z.string(),
    key: z.string(),
    state: z.literal('open'),
    probeInMs: z.number().int().nonnegative(),
  }),
  z.object({ origin: z.string(), key: z.string(), state: z.literal('closed') }),
]);
type TransitionMessage = z.infer<typeof TransitionMessageSchema>;

/**
 * The Redis side of fleet-wide breakers: a transition channel every worker subscribes to once, plus, per
 * breaker, an `open` key that lives exactly until the probe is due (so a worker that starts later or missed a
 * message reads the state from it) and a probe lease, so one worker probes at a time. Nothing here runs per
 * AI call while breakers are closed; the registry reads the key only for a breaker that is new or open.
 */
export class BreakerFleet implements AsyncDisposable {
  /** This process's id in the fleet: its own messages come back on the channel and are skipped. */
  readonly origin = randomUUID();
  private readonly listeners = new Set<FleetListener>();
  private readonly channel: string;
  private readonly log: Logger;
  private subscribed = false;

  private constructor(private readonly options: BreakerFleetOptions) {
    this.channel = buildBreakerChannel(options.prefix);
    this.log = options.logger.child({ module: 'ai' });
  }

  /** Subscribes to the transition channel; resolves once subscribed. */
  static async start(options: BreakerFleetOptions): Promise<BreakerFleet> {
    const fleet = new BreakerFleet(options);
    const { subscriber } = options;
    subscriber.on('message', (from: string, text: string) => {
      if (from === fleet.channel) fleet.receive(text);
    });
    // ioredis re-subscribes by itself after a reconnect; what was published meanwhile is lost.
    subscriber.on('ready', () => {
      if (!fleet.subscribed) return;
      for (const listener of fleet.listeners) listener.onResubscribed();
    });
    await subscriber.subscribe(fleet.channel);
    fleet.subscribed = true;
    return fleet;
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: FleetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Records this worker's opening of `key`'s breaker, probe due in `probeInMs`, and tells the fleet; when an
   * opening already stands, nothing is written and its time left is returned instead.
   */
  async claimOpening(key: string, probeInMs: number): Promise<{ created: boolean; probeInMs: number }> {
    const { redis, prefix } = this.options;
    registerScripts(redis, AI_SCRIPTS);
    const [created, standingMs] = await runScript<[number, number]>(
      redis,
      'claimBreakerOpening',
      [buildBreakerOpenKey(prefix, key), buildBreakerProbeKey(prefix, key)],
      [Math.max(1, Math.round(probeInMs)), this.origin],
    );
    if (created === 1) await this.publish({ origin: this.origin, key, state: 'open', probeInMs: standingMs });
    return { created: created === 1, probeInMs: standingMs };
  }

  /** This worker's probe of `key` succeeded: the opening and the lease go, and the fleet closes. */
  async announceClosed(key: string): Promise<void> {
    const { redis, prefix } = this.options;
    await redis.del(buildBreakerOpenKey(prefix, key), buildBreakerProbeKey(prefix, key));
    await this.publish({ origin: this.origin, key, state: 'closed' });
  }

  /** Ms until the standing opening's probe is due; null when no opening of `key` stands (closed, or probe due). */
  async fetchProbeInMs(key: string): Promise<number | null> {
    const ms = await this.options.redis.pttl(buildBreakerOpenKey(this.options.prefix, key));
    return ms > 0 ? ms : null;
  }

  /** Takes the lease to probe `key` for `leaseMs`; false when another worker (or call) holds it. */
  async tryClaimProbe(key: string, leaseMs: number): Promise<boolean> {
    const { redis, prefix } = this.options;
    const reply = await redis.set(buildBreakerProbeKey(prefix, key), this.origin, 'PX', leaseMs, 'NX');
    return reply === 'OK';
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listeners.clear();
    this.subscribed = false;
    await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
    this.options.subscriber.disconnect();
  }

  private async publish(message: TransitionMessage): Promise<void> {
    await this.options.redis.publish(this.channel, JSON.stringify(message));
  }

  private receive(text: string): void {
    let message: TransitionMessage;
    try {
      message = TransitionMessageSchema.parse(JSON.parse(text));
    } catch (error) {
      this.log.warn({ err: error }, 'unreadable ai breaker transition ignored');
      return;
    }
    if (message.origin === this.origin) return;
    const transition: FleetTransition =
      message.state === 'open'
        ? { key: message.key, state: 'open', probeInMs: message.probeInMs }
        : { key: message.key, state: 'closed' };
    for (const listener of this.listeners) listener.onTransition(transition);
  }
}
