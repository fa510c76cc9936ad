import type { REST } from '@discordjs/rest';
import { type Job, UnrecoverableError } from 'bullmq';
import { Routes } from 'discord-api-types/v10';
import type { AiService } from '../ai/index.js';
import { DiscordErrorCode } from '../discord/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import { type Logger, runWithCorrelation } from '../log/index.js';
import type { MemorySummarizer, SummaryModelSetting } from '../memory/index.js';
import { resolveSummaryModel } from '../memory/index.js';
import type { ApiKeyRepository, ChannelActivityRepository, PersonalityRepository } from '../state/index.js';
import type { WebhookManager } from '../webhooks/index.js';
import { TaskMessages } from './messages.js';
import {
  type ApiKeyTestTask,
  type DeleteReplyTask,
  type ForgetChannelsTask,
  type InteractionRef,
  type PostGreetingTask,
  type SummarizeMemoryTask,
  type TaskJob,
  TaskJobSchema,
} from './task-job.js';

/** Discord's answer when an interaction token expired (15 minutes) or never existed. */
const INVALID_WEBHOOK_TOKEN = 50027;

/** What a task ended with, returned as the BullMQ job's result (for tests and metrics). */
export type TaskOutcome =
  | 'key-ok'
  | 'key-failed'
  | 'key-missing'
  | 'key-unreadable'
  | 'deleted'
  | 'delete-forbidden'
  | 'channels-forgotten'
  | 'greeting-posted'
  | 'memory-summarized'
  | 'memory-skipped'
  | 'failed';

/** Forgets everything kept about channels that no longer exist (the webhook manager's pools and markers). */
export interface ChannelWebhookForgetter {
  forgetChannels(channelIds: readonly string[]): Promise<void>;
}

/** What {@link TaskProcessor} needs; the worker passes its real services. */
export interface TaskProcessorDependencies {
  readonly apiKeys: Pick<ApiKeyRepository, 'fetch'>;
  readonly ai: Pick<AiService, 'testKey'>;
  readonly webhooks: Pick<WebhookManager, 'deletePosted' | 'postAsPersona'>;
  /** A greeting posted through a personality's webhook becomes its channel's newest message (the gateway leaves our personalities' posts to the worker). */
  readonly channelActivity: Pick<ChannelActivityRepository, 'recordLatest'>;
  /** Webhook state of deleted channels. */
  readonly channelWebhooks: ChannelWebhookForgetter;
  /** Edits interaction replies (the bot token is not needed for that, but harmless when set). */
  readonly rest: Pick<REST, 'patch'>;
  /** Folds conversations' trimmed turns into their rolling summaries; absent = such tasks are skipped. */
  readonly memory?: {
    readonly summarizer: Pick<MemorySummarizer, 'summarize' | 'abandon'>;
    readonly personalities: Pick<PersonalityRepository, 'fetchById'>;
    /** `SUMMARY_MODEL`: null = each personality's own model. */
    readonly summaryModel: SummaryModelSetting | null;
  };
  readonly logger: Logger;
}

/**
 * Runs tasks in the worker: `/apikey test` (the gateway never calls the AI), "Delete reply" and forgetting
 * deleted channels (the gateway never talks to webhooks). The interaction tasks end by editing the user's
 * deferred reply through the interaction webhook. Neither the API key nor the interaction token is ever logged.
 */
export class TaskProcessor {
  private readonly log: Logger;

  constructor(private readonly deps: TaskProcessorDependencies) {
    this.log = deps.logger.child({ module: 'task-processor' });
  }

  /** The BullMQ processor function of the `tasks` queue. */
  async process(job: Job): Promise<TaskOutcome> {
    const parsed = TaskJobSchema.safeParse(job.data);
    if (!parsed.success) {
      // zod's messages name paths and rules, never the values: the token stays out of the failure reason.
      throw new UnrecoverableError(
        `invalid task: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    const task = parsed.data;
    if (task.kind === 'summarize-memory') {
      const context = { correlationId: task.correlationId, jobId: job.id ?? 'unknown', userId: task.userId };
      return runWithCorrelation(context, async () => {
        try {
          return await this.summarizeMemory(task);
        } catch (error) {
          // The turns stay pending; once out of retries the claim goes, so the next append enqueues again.
          if (isFinalAttempt(job) || error instanceof UnrecoverableError)
            await this.deps.memory?.summarizer.abandon(task);
          throw error;
        }
      });
    }
    if (task.kind === 'forget-channels') {
      // Nobody waits on an answer: a failure is retried, then left in the failed set.
      const context = { correlationId: task.correlationId, jobId: job.id ?? 'unknown' };
      return runWithCorrelation(context, () => this.forgetChannels(task));
    }
    if (task.kind === 'post-greeting') {
      const context = { correlationId: task.correlationId, jobId: job.id ?? 'unknown' };
      return runWithCorrelation(context, () => this.postGreeting(task));
    }
    const context = { correlationId: task.correlationId, jobId: job.id ?? 'unknown', userId: task.userId };
    return runWithCorrelation(context, async () => {
      try {
        return await this.runInteractionTask(task);
      } catch (error) {
        if (!isFinalAttempt(job) || error instanceof UnrecoverableError) throw error;
        // Out of retries: the user still gets an answer instead of a "Testing…" that never changes.
        await this.editReply(task.interaction, TaskMessages.failed());
        throw error;
      }
    });
  }

  private runInteractionTask(
    task: Exclude<TaskJob, ForgetChannelsTask | PostGreetingTask | SummarizeMemoryTask>,
  ): Promise<TaskOutcome> {
    return task.kind === 'apikey-test' ? this.testKey(task) : this.deleteReply(task);
  }

  /** A failure is retried, then left in the failed set: a greeting is a nicety nobody waits on. */
  private async postGreeting(task: PostGreetingTask): Promise<TaskOutcome> {
    const posted = await this.deps.webhooks.postAsPersona(
      { guildId: task.guildId, channelId: task.channelId, parentChannelId: task.parentChannelId },
      { username: task.username, avatarUrl: task.avatarUrl, content: task.content },
    );
    await this.deps.channelActivity.recordLatest(task.channelId, posted.messageId);
    this.log.info(
      { guildId: task.guildId, channelId: task.channelId, personalityId: task.personalityId },
      'greeting posted',
    );
    return 'greeting-posted';
  }
  private async summarizeMemory(task: SummarizeMemoryTask): Promise<TaskOutcome> {
    const memory = this.deps.memory;
    if (memory === undefined) return 'memory-skipped';
    const personality = await memory.personalities.fetchById(task.personalityId);
    if (personality === null) {
      // Deleted meanwhile: nobody will read this memory; it expires with the conversation.
      await memory.summarizer.abandon(task);
      return 'memory-skipped';
    }
    const outcome = await memory.summarizer.summarize(
      task,
      resolveSummaryModel(memory.summaryModel, personality),
    );
    return outcome === 'summarized' ? 'memory-summarized' : 'memory-skipped';
  }

  private async forgetChannels(task: ForgetChannelsTask): Promise<TaskOutcome> {
    await this.deps.channelWebhooks.forgetChannels(task.channelIds);
    this.log.info(
      { sourceId: task.sourceId, part: task.part, channels: task.channelIds.length },
      'deleted channels forgotten',
    );
    return 'channels-forgotten';
  }

  private async testKey(task: ApiKeyTestTask): Promise<TaskOutcome> {
    let key: Awaited<ReturnType<TaskProcessorDependencies['apiKeys']['fetch']>>;
    try {
      key = await this.deps.apiKeys.fetch(task.userId, task.provider);
    } catch (error) {
      if (!(error instanceof ChorusError && error.code === ChorusErrorCode.Internal)) throw error;
      this.log.warn({ err: error, provider: task.provider }, 'stored api key does not decrypt');
      await this.editReply(task.interaction, TaskMessages.keyUnreadable(task.provider));
      return 'key-unreadable';
    }
    if (key === null) {
      await this.editReply(task.interaction, TaskMessages.keyMissing(task.provider));
      return 'key-missing';
    }
    const result = await this.deps.ai.testKey(task.provider, key.key);
    this.log.info(
      {
        provider: task.provider,
        keyFingerprint: key.fingerprint,
        ok: result.ok,
        reason: result.ok ? null : result.reason,
      },
      'api key tested',
    );
    await this.editReply(
      task.interaction,
      result.ok
        ? TaskMessages.keyWorks(task.provider, key.fingerprint, result.model, result.latencyMs)
        : TaskMessages.keyFails(task.provider, key.fingerprint, result.detail),
    );
    return result.ok ? 'key-ok' : 'key-failed';
  }

  private async deleteReply(task: DeleteReplyTask): Promise<TaskOutcome> {
    try {
      for (const messageId of task.messageIds)
        await this.deps.webhooks.deletePosted(task.channelId, messageId);
    } catch (error) {
      if (findDiscordCode(error) !== DiscordErrorCode.MissingPermissions) throw error;
      this.log.warn(
        { channelId: task.channelId, discordCode: DiscordErrorCode.MissingPermissions },
        'reply deletion refused',
      );
      await this.editReply(task.interaction, TaskMessages.deleteForbidden());
      return 'delete-forbidden';
    }
    this.log.info({ channelId: task.channelId, messages: task.messageIds.length }, 'reply deleted');
    await this.editReply(task.interaction, TaskMessages.deleted());
    return 'deleted';
  }

  /** Edits the interaction's original reply; an expired interaction is logged and otherwise ignored. */
  private async editReply(interaction: InteractionRef, content: string): Promise<void> {
    try {
      await this.deps.rest.patch(
        Routes.webhookMessage(interaction.applicationId, interaction.token, '@original'),
        {
          body: { content, allowed_mentions: { parse: [] } },
          auth: false,
        },
      );
    } catch (error) {
      const code = findDiscordCode(error);
      if (code === DiscordErrorCode.UnknownWebhook || code === INVALID_WEBHOOK_TOKEN) {
        // The 15-minute token ran out (a long queue): nobody can be told any more, and retrying cannot help.
        this.log.warn(
          { discordCode: code, interactionId: interaction.id },
          'interaction expired before its result',
        );
        return;
      }
      throw error;
    }
  }
}

function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Discord's JSON error code behind an error: `DiscordAPIError` and the webhook client's errors carry it as `code`. */
function findDiscordCode(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code;
  const cause = error instanceof Error ? error.cause : undefined;
  const context = error instanceof ChorusError ? error.context.discordCode : undefined;
  if (typeof context === 'number') return context;
  return cause === undefined ? null : findDiscordCode(cause);
}
