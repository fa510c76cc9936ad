import type { APIEmbed } from 'discord.js';
import type { Config } from '../config/index.js';
import { CommandReplies } from './command-replies.js';

/** The `/help` embed, with the limits this deployment is configured with. */
export function buildHelpEmbed(config: Pick<Config, 'limits' | 'conversation'>): APIEmbed {
  return {
    title: CommandReplies.helpTitle(),
    description: CommandReplies.helpIntro(),
    fields: [
      {
        name: CommandReplies.helpAddressingTitle(),
        value: CommandReplies.helpAddressing(config.limits.maxPersonalitiesPerMessage),
      },
      {
        name: CommandReplies.helpLimitsTitle(),
        value: CommandReplies.helpLimits({
          userMaxPending: config.limits.userMaxPending,
          userBurst: config.limits.userBurst,
          userRatePerMinute: config.limits.userRatePerMinute,
          maxTurns: config.conversation.maxTurns,
          ttlSeconds: config.conversation.ttlSeconds,
        }),
      },
      { name: CommandReplies.helpCommandsTitle(), value: CommandReplies.helpCommands() },
    ],
  };
}
