import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../log/index.js';
import { loadScripts, type RedisClient, registerScripts, runScript } from '../redis/index.js';
import { buildBreakerChannel, buildBreakerOpenKey, buildBreakerProbeKey } from './keys.js';

const AI_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** One opening of a breaker in the fleet: every worker that follows it probes at the same deadline. */
export interface FleetOpening {
  /** Unique per opening: a worker tells a new opening (a probe failed) from the one it follows. */
  readonly id: string;
  /** Ms until its half-open probe is due, when read or received. */
  readonly probeInMs: number;
}

/** A breaker transition another worker announced. */
export type FleetTransition =
  | { readonly key: string; readonly state: 'open'; readonly opening: FleetOpening }
  | { readonly key: string; readonly state: 'closed'; readonly openingId: string };

/** What {@link BreakerFleet.tryClaimProbe} answers. */
export interface ProbeClaim {
  /** This worker may probe now. */
  readonly acquired: boolean;
  /** The opening that stands instead, when the fleet opened again (no probe is due); null otherwise. */
  readonly opening: FleetOpening | null;
}

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
    openingId: z.string(),
    probeInMs: z.number().int().nonnegative(),
  }),
  z.object({ origin: z.string(), key: z.string(), state: z.literal('closed'), openingId: z.string() }),
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
   * Records this worker's opening `openingId` of `key`'s breaker, probe due in `probeInMs`, and tells the
   * fleet; when another opening already stands, nothing is written and that one is returned instead.
   */
  async claimOpening(
    key: string,
    openingId: string,
    probeInMs: number,
  ): Promise<{ created: boolean; opening: FleetOpening }> {
    const [created, id, standingMs] = await this.run<[number, string, number]>(
      'claimBreakerOpening',
      this.keysOf(key),
      [this.origin, openingId, Math.max(1, Math.round(probeInMs))],
    );
    if (created === 1) {
      await this.publish({ origin: this.origin, key, state: 'open', openingId, probeInMs: standingMs });
    }
    return { created: created === 1, opening: { id, probeInMs: standingMs } };
  }

  /** This worker's probe of opening `openingId` succeeded: the opening and the lease go, and the fleet closes. */
  async announceClosed(key: string, openingId: string): Promise<void> {
    await this.options.redis.del(...this.keysOf(key));
    await this.publish({ origin: this.origin, key, state: 'closed', openingId });
  }

  /** The opening of `key` that stands in the fleet; null when none does (closed, or its probe is due). */
  async fetchOpening(key: string): Promise<FleetOpening | null> {
    const reply = await this.run<[string, number] | []>(
      'readBreakerOpening',
      this.keysOf(key).slice(0, 1),
      [],
    );
    return reply.length === 2 ? { id: reply[0], probeInMs: reply[1] } : null;
  }

  /**
   * Takes the lease to probe `key` for `leaseMs`, unless another worker holds it or an opening stands whose
   * probe is due in more than `slackMs`.
   */
  async tryClaimProbe(key: string, leaseMs: number, slackMs: number): Promise<ProbeClaim> {
    const reply = await this.run<[number] | [number, string, number]>('claimBreakerProbe', this.keysOf(key), [
      this.origin,
      leaseMs,
      slackMs,
    ]);
    if (reply.length === 3) return { acquired: false, opening: { id: reply[1], probeInMs: reply[2] } };
    return { acquired: reply[0] === 1, opening: null };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listeners.clear();
    this.subscribed = false;
    await this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
    this.options.subscriber.disconnect();
  }

  /** `key`'s open key and probe key (one slot: the breaker key is their hash tag). */
  private keysOf(key: string): [string, string] {
    const { prefix } = this.options;
    return [buildBreakerOpenKey(prefix, key), buildBreakerProbeKey(prefix, key)];
  }

  private run<T>(script: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<T> {
    registerScripts(this.options.redis, AI_SCRIPTS);
    return runScript<T>(this.options.redis, script, keys, args);
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
        ? {
            key: message.key,
            state: 'open',
            opening: { id: message.openingId, probeInMs: message.probeInMs },
          }
        : { key: message.key, state: 'closed', openingId: message.openingId };
    for (const listener of this.listeners) listener.onTransition(transition);
  }
}
