/** Every sentence the task worker says to users (by editing their deferred command reply), in one place. */
export const TaskMessages = {
  keyWorks: (provider: string, fingerprint: string, model: string, latencyMs: number) =>
    `Your key for **${provider}** (fingerprint \`${fingerprint}\`) works: ${model} answered in ${Math.max(1, Math.round(latencyMs))} ms.`,
  keyFails: (provider: string, fingerprint: string, detail: string) =>
    `Your key for **${provider}** (fingerprint \`${fingerprint}\`) does not work: ${detail}`,
  keyMissing: (provider: string) =>
    `You have no key stored for **${provider}** any more. Add one with /apikey set.`,
  keyUnreadable: (provider: string) =>
    `Your stored key for **${provider}** can no longer be read (the bot’s encryption key changed). Please set it again with /apikey set.`,
  deleted: () => 'Deleted.',
  deleteForbidden: () => 'I am not allowed to delete that message here (missing permissions).',
  failed: () => 'Sorry, that did not work because of an error on our side. Please try again.',
} as const;
