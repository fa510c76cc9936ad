import type { RedisClient } from '../redis/index.js';
import { buildRoutingChangesChannel } from './keys.js';

/**
 * What changed: a gateway's routing cache forgets everything on any change (they are rare); a worker's
 * personality cache forgets the personality a change names, and everything on one naming none.
 */
export type RoutingChange = 'activation' | 'guild-settings' | { readonly personalityId: string };

/** The prefix of a notice naming the personality that changed (`personality:<id>`). */
const PERSONALITY_NOTICE_PREFIX = 'personality:';

/**
 * Tells every gateway and worker that something their caches may hold changed (`RoutingCache` in the gateway,
 * `PersonalityCache` in the worker subscribe). Published after the write landed, so a process reading again on
 * the notice reads the change. A personality's notice names it (`personality:<id>`).
 */
export async function publishRoutingChange(
  redis: RedisClient,
  prefix: string,
  change: RoutingChange,
): Promise<void> {
  const notice = typeof change === 'string' ? change : `${PERSONALITY_NOTICE_PREFIX}${change.personalityId}`;
  await redis.publish(buildRoutingChangesChannel(prefix), notice);
}

/** The personality a notice names, or null when it names none (any other change: forget everything). */
export function findNoticedPersonalityId(notice: string): string | null {
  return notice.startsWith(PERSONALITY_NOTICE_PREFIX) ? notice.slice(PERSONALITY_NOTICE_PREFIX.length) : null;
}

/** What a cache kept in step with the routing-changes channel does on its events. */
export interface RoutingChangeListener {
  /** A notice, as published. */
  readonly onNotice: (notice: string) => void;
  /**
   * The subscription is up (true: subscribed, or subscribed again after a reconnect) or down (false). Notices
   * published while it was down are lost, so a cache starts over on both.
   */
  readonly onSubscription: (subscribed: boolean) => void;
}

/**
 * Subscribes `subscriber` (a connection in subscriber mode: it takes no other commands) to `channel` for
 * `listener`; resolves once subscribed. ioredis subscribes again by itself after a reconnect.
 */
export async function listenToRoutingChanges(
  subscriber: RedisClient,
  channel: string,
  listener: RoutingChangeListener,
): Promise<void> {
  subscriber.on('message', (from: string, notice: string) => {
    if (from === channel) listener.onNotice(notice);
  });
  subscriber.on('close', () => listener.onSubscription(false));
  subscriber.on('ready', () => listener.onSubscription(true));
  await subscriber.subscribe(channel);
  listener.onSubscription(true);
}
