/** User-facing wording of the usage area. */
export const UsageMessages = {
  /** The notice for a message skipped past a quota; `resetsAt` Unix ms, shown as a Discord relative timestamp. */
  quotaReached: (scope: 'user' | 'guild', resetsAt: number): string => {
    const when = `<t:${Math.floor(resetsAt / 1000)}:R>`;
    return scope === 'user'
      ? `You have used today's share of replies on this bot, so I skipped that message. It resets ${when}. Personalities on a provider you added your own key for (\`/apikey set\`) still answer.`
      : `This server has used today's share of replies on this bot, so I skipped that message. It resets ${when}. Personalities on a provider you added your own key for (\`/apikey set\`) still answer.`;
  },
} as const;
