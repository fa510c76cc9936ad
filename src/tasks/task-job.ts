import { z } from 'zod';

const snowflake = z.string().regex(/^\d{1,20}$/);

/**
 * The interaction whose deferred reply a task edits when it is done. `token` is an interaction token (valid
 * 15 minutes, lets anyone holding it edit that one reply): not an API key, but a credential all the same, so
 * it never goes into logs or job ids (the field name `token` is redacted by the logger).
 */
export const InteractionRefSchema = z.object({
  /** The interaction's own id: names the job, so replicas seeing one interaction enqueue once. */
  id: snowflake,
  applicationId: snowflake,
  token: z.string().min(1).max(500),
});
export type InteractionRef = z.infer<typeof InteractionRefSchema>;

/** `/apikey test`: check a user's stored key against its provider, then edit the deferred reply. */
export const ApiKeyTestTaskSchema = z.object({
  kind: z.literal('apikey-test'),
  version: z.literal(1),
  correlationId: z.string().min(1).max(64),
  userId: snowflake,
  provider: z.string().min(1).max(64),
  interaction: InteractionRefSchema,
});
export type ApiKeyTestTask = z.infer<typeof ApiKeyTestTaskSchema>;

/** "Delete reply" on a personality's message: the worker deletes it through the webhook manager. */
export const DeleteReplyTaskSchema = z.object({
  kind: z.literal('delete-reply'),
  version: z.literal(1),
  correlationId: z.string().min(1).max(64),
  /** Who asked (the user the reply answered, or a member with Manage Messages). */
  userId: snowflake,
  /** The channel (or thread) the reply is in. */
  channelId: snowflake,
  /** Every message of the reply (a long answer is split into several). */
  messageIds: z.array(snowflake).min(1).max(20),
  interaction: InteractionRefSchema,
});
export type DeleteReplyTask = z.infer<typeof DeleteReplyTaskSchema>;

/** Most channels one `forget-channels` task names; a guild's are split over several tasks. */
export const MAX_CHANNELS_PER_TASK = 100;

/**
 * A channel or thread was deleted, or the bot left a guild: the worker forgets the webhook state of those
 * channels (the gateway, which never talks to webhooks, has already removed what it owns).
 */
export const ForgetChannelsTaskSchema = z.object({
  kind: z.literal('forget-channels'),
  version: z.literal(1),
  correlationId: z.string().min(1).max(64),
  /** What went (the channel, the thread or the guild): with `part`, names the job. */
  sourceId: snowflake,
  /** Which share of the source's channels this task holds (0 unless a guild's were split). */
  part: z.number().int().min(0).max(1000),
  /** The channels and threads to forget. */
  channelIds: z.array(snowflake).min(1).max(MAX_CHANNELS_PER_TASK),
});
export type ForgetChannelsTask = z.infer<typeof ForgetChannelsTaskSchema>;

/**
 * A personality was first activated in a channel and has a greeting (its card's `first_mes`): the worker posts it
 * there as the personality. The text is final (macros substituted, within Discord's limit).
 */
export const PostGreetingTaskSchema = z.object({
  kind: z.literal('post-greeting'),
  version: z.literal(1),
  correlationId: z.string().min(1).max(64),
  /** The activating interaction: names the job. */
  sourceId: snowflake,
  guildId: snowflake,
  /** The channel or thread activated. */
  channelId: snowflake,
  /** A thread's parent (which owns the webhook); null for a channel. */
  parentChannelId: snowflake.nullable(),
  personalityId: z.string().min(1).max(32),
  username: z.string().min(1).max(80),
  avatarUrl: z.string().max(2048).nullable(),
  content: z.string().min(1).max(2000),
});
export type PostGreetingTask = z.infer<typeof PostGreetingTaskSchema>;

/**
 * A conversation's trimmed turns wait for its rolling summary: a worker folds them in (docs/memory.md). Enqueued
 * by the reply path when its append took the summarization claim; the claim's token names the job.
 */
export const SummarizeMemoryTaskSchema = z.object({
  kind: z.literal('summarize-memory'),
  version: z.literal(1),
  correlationId: z.string().min(1).max(64),
  userId: snowflake,
  /** The personality whose memory it is: its model summarizes unless `SUMMARY_MODEL` is set. */
  personalityId: z.string().min(1).max(64),
  /** Which memory (`c:<channelId>:<personalityId>` or `p:<personalityId>`). */
  suffix: z.string().min(1).max(200),
  claimToken: z.string().uuid(),
});
export type SummarizeMemoryTask = z.infer<typeof SummarizeMemoryTaskSchema>;

/**
 * The contract between the gateway and the worker for work that is not a reply. Ids and references only:
 * API keys stay in their repository, where only the worker decrypts them.
 */
export const TaskJobSchema = z.discriminatedUnion('kind', [
  ApiKeyTestTaskSchema,
  DeleteReplyTaskSchema,
  ForgetChannelsTaskSchema,
  PostGreetingTaskSchema,
  SummarizeMemoryTaskSchema,
]);
export type TaskJob = z.infer<typeof TaskJobSchema>;

/**
 * BullMQ job id of a task: one per interaction, per deleted source and part, or per summarization claim, so
 * replicas that see the same event enqueue it once.
 */
export function buildTaskJobId(task: TaskJob): string {
  if (task.kind === 'forget-channels') return `${task.kind}-${task.sourceId}-${task.part}`;
  if (task.kind === 'post-greeting') return `${task.kind}-${task.sourceId}`;
  // One per claim: a later claim (after this job completed or failed for good) gets a job of its own.
  if (task.kind === 'summarize-memory') return `${task.kind}-${task.claimToken}`;
  return `${task.kind}-${task.interaction.id}`;
}

/**
 * The `forget-channels` tasks for channels that went with `sourceId`: sorted and split into tasks of at most
 * {@link MAX_CHANNELS_PER_TASK}, so every replica builds the same tasks (and job ids) from one event.
 */
export function buildForgetChannelsTasks(
  sourceId: string,
  channelIds: readonly string[],
  correlationId: string,
): ForgetChannelsTask[] {
  const sorted = [...new Set(channelIds)].sort();
  const tasks: ForgetChannelsTask[] = [];
  for (let start = 0; start < sorted.length; start += MAX_CHANNELS_PER_TASK) {
    tasks.push({
      kind: 'forget-channels',
      version: 1,
      correlationId,
      sourceId,
      part: tasks.length,
      channelIds: sorted.slice(start, start + MAX_CHANNELS_PER_TASK),
    });
  }
  return tasks;
}
