import type { ReplyJob, Trigger } from './reply-job.js';

/**
 * Back-to-back messages answered once (docs/fair-queue.md, Coalescing): the pure decisions. A person's reply job
 * opens a slot in their partition and waits out the window; their follow-ups in the same channel join it
 * instead of making jobs of their own, until the reply starts.
 */

/** A reply of the user's in one channel that has not started yet, as its slot records it. */
export interface CoalesceSlot {
  readonly personalityId: string;
  readonly jobId: string;
  /** When the group's latest message was written (Discord's time, from its snowflake), Unix ms. */
  readonly lastAt: number;
  /** Whether a message of the group named the personality (a mention, or a reply to its message). */
  readonly named: boolean;
  /** What addressed the group's first message. */
  readonly trigger: Trigger;
}

/** Everything {@link decideCoalescing} weighs, already fetched by the caller. */
export interface CoalesceInput {
  /** Who the new message addresses, in answering order (from `decideAddressees`). */
  readonly addressed: ReadonlyArray<{ readonly personalityId: string; readonly trigger: Trigger }>;
  /** Whether it names a personality: a mention, or a reply to a personality's message (usable or not). */
  readonly namesSomeone: boolean;
  /** The author's open slots in the message's channel, by personality id. */
  readonly openSlots: ReadonlyMap<string, CoalesceSlot>;
  /** When the message was written, Unix ms. */
  readonly createdAt: number;
  /** `COALESCE_WINDOW_MS`; 0 = coalescing off. */
  readonly windowMs: number;
}

/** A group the new message joins. */
export interface CoalesceJoin {
  readonly personalityId: string;
  readonly jobId: string;
  readonly trigger: Trigger;
  /** The message addresses this personality itself: if the join is refused (the reply started), admit it. */
  readonly addressed: boolean;
  /** The message names this personality (the group then counts as named, for later follow-ups). */
  readonly named: boolean;
}

/** What to do with a message: join these groups, admit a job for those personalities. */
export interface CoalescePlan {
  readonly join: readonly CoalesceJoin[];
  readonly admit: ReadonlyArray<{ readonly personalityId: string; readonly trigger: Trigger }>;
}

/** How joining one group ended (`ReplyCoalescer.join`). */
export type JoinOutcome =
  /** The message is now a part of the group. */
  | 'joined'
  /** It was already handled: joined before (another gateway replica), or admitted as a job of its own. */
  | 'duplicate'
  /** The reply started (or the slot is another reply's): route the message as usual. */
  | 'started'
  /** The group holds the most messages it may: route the message as usual. */
  | 'full';

/** A group the message is part of once the joins ran. */
export interface CoalesceJoined {
  readonly personalityId: string;
  readonly trigger: Trigger;
  /** The group's reply job. */
  readonly jobId: string;
  readonly outcome: 'joined' | 'duplicate';
}

const NAMING_TRIGGERS: ReadonlySet<Trigger> = new Set(['mention', 'reply']);

/**
 * Decides which open groups a message joins:
 * 1. each personality it addresses (mention, reply, activation, DM sticky) whose slot is open and whose group's
 *    latest message came at most the window before it: joins that group; the others get jobs of their own (so
 *    a follow-up naming another personality starts its own reply);
 * 2. a message naming no one also joins the fresh groups that named their personality: it follows them. It is
 *    then a follow-up, not a new message for the channel's activated (or the DM's sticky) personality.
 */
export function decideCoalescing(input: CoalesceInput): CoalescePlan {
  const addressed = input.addressed.map(({ personalityId, trigger }) => ({ personalityId, trigger }));
  if (input.windowMs <= 0) return { join: [], admit: addressed };
  const isFresh = (slot: CoalesceSlot | undefined): slot is CoalesceSlot =>
    slot !== undefined && input.createdAt - slot.lastAt <= input.windowMs;
  const join: CoalesceJoin[] = [];
  const admit: Array<CoalescePlan['admit'][number]> = [];
  for (const { personalityId, trigger } of addressed) {
    const slot = input.openSlots.get(personalityId);
    if (isFresh(slot)) {
      join.push({
        personalityId,
        jobId: slot.jobId,
        trigger,
        addressed: true,
        named: NAMING_TRIGGERS.has(trigger),
      });
    } else {
      admit.push({ personalityId, trigger });
    }
  }
  if (input.namesSomeone) return { join, admit };
  const followed = [...input.openSlots.values()].filter(
    (slot) =>
      slot.named && isFresh(slot) && !join.some((entry) => entry.personalityId === slot.personalityId),
  );
  if (followed.length === 0) return { join, admit };
  for (const slot of followed) {
    join.push({
      personalityId: slot.personalityId,
      jobId: slot.jobId,
      trigger: slot.trigger,
      addressed: false,
      named: false,
    });
  }
  return { join, admit: [] };
}

/**
 * What a message comes to once its planned joins ran (`outcomes[i]` for `plan.join[i]`): the groups it is part of,
 * and the personalities to admit it for, in `order` (the addressing decision's). A refused join (the reply
 * started, or the group is full) admits the message for a personality it addresses; one it only followed drops.
 */
export function applyJoinOutcomes(
  plan: CoalescePlan,
  outcomes: readonly JoinOutcome[],
  order: readonly string[],
): { joined: CoalesceJoined[]; admit: CoalescePlan['admit'] } {
  const joined: CoalesceJoined[] = [];
  const admit = [...plan.admit];
  plan.join.forEach((entry, index) => {
    const outcome = outcomes[index] ?? 'started';
    const { personalityId, trigger, jobId } = entry;
    if (outcome === 'joined' || outcome === 'duplicate')
      joined.push({ personalityId, trigger, jobId, outcome });
    else if (entry.addressed) admit.push({ personalityId, trigger });
  });
  const rank = (entry: { readonly personalityId: string }) => order.indexOf(entry.personalityId);
  return { joined, admit: admit.toSorted((left, right) => rank(left) - rank(right)) };
}

/**
 * Whether a job opens a coalesce slot: a person's own message. Not a regeneration (it answers an older message
 * again), not a link of a personality chain, not a proxy bot's copy (its original is another message).
 */
export function canOpenCoalesceSlot(job: ReplyJob): boolean {
  return (
    job.answersMessageId === undefined && job.chain === undefined && job.proxiedFromMessageId === undefined
  );
}

/**
 * How long a job that opens a slot is delayed: until the window after its message ends, less the time already
 * elapsed (never negative, never more than the window when the clocks disagree).
 */
export function computeCoalesceDelayMs(messageCreatedAt: number, windowMs: number, now: number): number {
  return Math.min(windowMs, Math.max(0, messageCreatedAt + windowMs - now));
}

/** The slot JSON the admission script stores for a job. */
export function buildCoalesceSlotValue(job: ReplyJob, jobId: string): string {
  return JSON.stringify({
    jobId,
    lastAt: job.messageCreatedAt,
    named: NAMING_TRIGGERS.has(job.trigger),
    trigger: job.trigger,
  });
}

const TRIGGERS: ReadonlySet<string> = new Set<Trigger>(['mention', 'reply', 'activation', 'dm']);

/**
 * A slot as stored (`<channelId>:<personalityId>` → JSON); null for a field of another channel or a value that
 * does not parse (ignored: nothing joins it).
 */
export function parseCoalesceSlot(field: string, value: string, channelId: string): CoalesceSlot | null {
  const head = `${channelId}:`;
  if (!field.startsWith(head)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  const { jobId, lastAt, named, trigger } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof jobId !== 'string' || typeof lastAt !== 'number' || typeof trigger !== 'string') return null;
  if (!TRIGGERS.has(trigger)) return null;
  return {
    personalityId: field.slice(head.length),
    jobId,
    lastAt,
    named: named === true,
    trigger: trigger as Trigger,
  };
}
