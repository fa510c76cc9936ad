/** Every sentence the reply worker itself says to users, in one place. */
export const ReplyMessages = {
  failed: () => 'Sorry — I could not answer that message because of an internal error. Please try again.',
  personalityGone: () => 'That personality no longer exists, so nobody can answer this message.',
  personalityPrivate: () =>
    'That personality is private: only its owner can talk to it, so nobody will answer this message.',
  emptyAnswer: (name: string) => `${name} had nothing to say.`,
  /** Ends a streamed reply whose AI stream broke after part of it was shown. */
  streamInterrupted: () => ' … (interrupted)',
} as const;
