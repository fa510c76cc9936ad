import type { ChannelWindowRepository } from '../context/index.js';
import type { GuildSettingsRepository } from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import type { ActivationRepository, ChannelActivityRepository } from '../state/index.js';
import { buildForgetChannelsTasks, enqueueTask, type TaskQueue } from '../tasks/index.js';

/** What {@link ChannelCleanup} needs. */
export interface ChannelCleanupDependencies {
  readonly activations: Pick<ActivationRepository, 'deactivateChannels' | 'removeGuild'>;
  readonly channelActivity: Pick<ChannelActivityRepository, 'forgetChannels'>;
  /** The channels' windows (their kept conversation) go at once. */
  readonly channelWindows: Pick<ChannelWindowRepository, 'forgetChannels'>;
  /** A server's `/server` settings go when the bot leaves it. */
  readonly guildSettings: Pick<GuildSettingsRepository, 'delete'>;
  /** The worker forgets the channels' webhook pools (the gateway never talks to webhooks). */
  readonly tasks: TaskQueue;
  readonly newCorrelationId: () => string;
  readonly logger: Logger;
}

/**
 * Forgets channels that no longer exist: what the gateway owns (activations, the newest-message record, the
 * channel window, a left server's settings) it deletes itself; the webhook state goes through a `forget-channels` task the worker runs. Records keyed by
 * message (posted, deleted, edited) are left to expire: nothing indexes them by channel.
 */
export class ChannelCleanup {
  private readonly log: Logger;

  constructor(private readonly deps: ChannelCleanupDependencies) {
    this.log = deps.logger.child({ module: 'channel-cleanup' });
  }

  /** A channel (with its cached threads) or a thread was deleted; `sourceId` is the deleted one. */
  async forgetChannel(sourceId: string, channelIds: readonly string[]): Promise<void> {
    const [activations] = await Promise.all([
      this.deps.activations.deactivateChannels(channelIds),
      this.deps.channelActivity.forgetChannels(channelIds),
      this.deps.channelWindows.forgetChannels(channelIds),
      this.enqueue(sourceId, channelIds),
    ]);
    this.log.info(
      { channelId: sourceId, channels: channelIds.length, activations },
      'channel deleted; forgotten',
    );
  }

  /** The bot left a guild (or it was deleted); `channelIds` are its channels and threads the client knew. */
  async forgetGuild(guildId: string, channelIds: readonly string[]): Promise<void> {
    const [activations] = await Promise.all([
      this.deps.activations.removeGuild(guildId),
      this.deps.guildSettings.delete([guildId]),
      this.deps.channelActivity.forgetChannels(channelIds),
      this.deps.channelWindows.forgetChannels(channelIds),
      this.enqueue(guildId, channelIds),
    ]);
    this.log.info(
      { guildId, channels: channelIds.length, activations },
      'left guild; its settings and channels forgotten',
    );
  }

  private async enqueue(sourceId: string, channelIds: readonly string[]): Promise<void> {
    const correlationId = this.deps.newCorrelationId();
    for (const task of buildForgetChannelsTasks(sourceId, channelIds, correlationId))
      await enqueueTask(this.deps.tasks, task);
  }
}
