/**
 * Every sentence the slash commands, buttons and context-menu commands say to users, in one place. The
 * personality input rules word their own errors (`messages.ts`); the repositories word theirs (`StateMessages`).
 */
import type { ContextMode, MemoryScope } from '../state/index.js';

/** A name as shown in a reply: bold, and unable to ping anyone (a zero-width space follows every `@`). */
function bold(name: string): string {
  return `**${name.replace(/([<@*_`~|\\])/gu, (character) => (character === '@' || character === '<' ? `${character}\u200B` : `\\${character}`))}**`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** How a value the user typed is echoed back: quoted, one line, at most 40 characters, never a mention. */
function quoted(value: string): string {
  const line = value.replace(/\s+/gu, ' ').trim();
  const short = line.length > 40 ? `${line.slice(0, 39).trimEnd()}…` : line;
  return `“${short.replace(/([<@])/gu, '$1\u200B')}”`;
}

/** "7 days", "12 hours", "30 minutes". */
function describeDuration(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} days`;
  if (seconds >= 2 * 3600) return `${Math.round(seconds / 3600)} hours`;
  return plural(Math.max(1, Math.round(seconds / 60)), 'minute');
}

export const CommandReplies = {
  // Anything.
  notYours: () => 'These buttons belong to someone else’s command. Run the command yourself to get your own.',
  expiredButton: () => 'This button is no longer valid. Run the command again.',
  unknownCommand: () =>
    'This command is not available any more. Discord may still be updating the command list.',
  internalError: () => 'Something went wrong on our side. Please try again in a moment.',
  guildOnly: () => 'This command only works in a server channel.',
  personalityNotFound: (query: string) =>
    `Personality: no personality called ${quoted(query)} that you can use. Pick one from the list as you type.`,
  notOwner: (name: string) => `Only the owner of ${bold(name)} can change or delete it.`,

  // /personality create, edit, remove, alias.
  created: (name: string, provider: string, model: string, visibility: string) =>
    `Created ${bold(name)} (${provider}/${model}, ${visibility}). Talk to it by writing @${name.replace(/@/gu, '@\u200B')} in a message, or by replying to its messages.`,
  imported: (
    name: string,
    provider: string,
    model: string,
    visibility: string,
    greeting: boolean,
    unusedFields: readonly string[],
  ) =>
    [
      `Imported ${bold(name)} from its character card (${provider}/${model}, ${visibility}). Talk to it by writing @${name.replace(/@/gu, '@\u200B')} in a message.`,
      greeting
        ? 'Its greeting (first_mes) is posted when it is first activated in a channel and when someone first talks to it in DMs.'
        : null,
      unusedFields.length > 0
        ? `Kept for /personality export but not used yet: ${unusedFields.join(', ')}.`
        : null,
    ]
      .filter((line) => line !== null)
      .join('\n'),
  cardDownloadFailed: (reason: string) =>
    `The card could not be downloaded (${reason}). Attach it again and retry.`,
  exported: (name: string) =>
    `${bold(name)} as a Character Card V2 (JSON). Import it elsewhere, or here with /personality import.`,
  nothingToEdit: () =>
    'Nothing to change: give at least one field to change besides the name (new-name, prompt, avatar, provider, model, temperature, visibility, nsfw, context, stream or fallbacks).',
  edited: (name: string, fields: readonly string[]) => `Updated ${bold(name)}: ${fields.join(', ')}.`,
  confirmRemove: (name: string) =>
    `Delete ${bold(name)}? Its aliases and channel activations go with it. This cannot be undone.`,
  removed: (name: string) => `Deleted ${bold(name)} with its aliases and channel activations.`,
  removeCancelled: (name: string) => `Kept ${bold(name)}.`,
  aliasAdded: (name: string, alias: string) =>
    `${bold(name)} now also answers to @${alias.replace(/@/gu, '@\u200B')}.`,
  aliasRemoved: (name: string, alias: string) => `${bold(name)} no longer answers to ${quoted(alias)}.`,
  shared: (name: string, userId: string) =>
    `<@${userId}> can now edit ${bold(name)} with /personality edit. They cannot delete it, share it, change its aliases or visibility.`,
  unshared: (name: string, userId: string) => `<@${userId}> can no longer edit ${bold(name)}.`,
  shareWithBot: () => 'Bots cannot edit personalities: share it with a person.',

  // Autocomplete choices (at most 100 characters; cut by the caller).
  choiceOwn: (name: string) => `${name} (yours)`,
  choicePublic: (name: string) => `${name} (public)`,
  choiceShared: (name: string) => `${name} (you co-edit)`,
  choiceDefaultProvider: (provider: string) => `${provider} (default)`,

  // /personality info and list.
  infoOwner: () => 'Owner',
  infoModel: () => 'Provider / model',
  infoTemperature: () => 'Temperature',
  infoDefaultTemperature: () => 'provider default',
  infoVisibility: () => 'Visibility',
  infoAliases: () => 'Aliases',
  infoNoAliases: () => 'none',
  infoNsfw: () => 'NSFW',
  infoNsfwValue: (nsfw: boolean) => (nsfw ? 'yes: answers only in age-restricted channels' : 'no'),
  infoMemory: () => 'Memory',
  infoMemoryValue: (scope: MemoryScope) =>
    scope === 'conversation'
      ? 'conversation: remembers each person’s talk in each channel apart'
      : 'user: remembers each person across channels',
  infoContext: () => 'Context in servers',
  infoContextValue: (mode: ContextMode) =>
    mode === 'room'
      ? 'room: follows the conversation of the channel it answers in'
      : 'personal: sees only its own conversation with each person',
  infoFallbacks: () => 'Fallback models',
  infoFallbacksValue: (models: readonly { provider: string; model: string }[]) =>
    models.length === 0
      ? 'none'
      : `${models.map(({ provider, model }) => `${provider}/${model}`).join(', ')} (in this order, while its own model is down)`,
  infoStream: () => 'Streamed replies',
  infoStreamValue: (stream: boolean | null) =>
    stream === null
      ? 'default: follows the bot’s setting'
      : stream
        ? 'on: replies in servers appear as they are written'
        : 'off: replies appear once complete',
  infoEditors: () => 'Co-editors',
  infoPrompt: () => 'Prompt (only you see this)',
  infoCardPrompt: (length: number) =>
    `Prompt, from a character card: ${length.toLocaleString('en-US')} characters, shortened (only you see this)`,
  listMineTitle: (total: number) => `Your personalities (${total})`,
  listPublicTitle: (total: number) => `Public personalities (${total})`,
  listMineEmpty: () => 'You have no personalities yet. Create one with /personality create.',
  listPublicEmpty: () => 'There are no public personalities yet.',
  listFooter: (page: number, pageCount: number) => `Page ${page + 1} of ${pageCount}`,
  previousPage: () => 'Previous',
  nextPage: () => 'Next',
  confirmDelete: () => 'Delete',
  cancel: () => 'Cancel',

  // Activation.
  needsManageChannels: () =>
    'Permission: you need Manage Channels in this channel to change which personality answers every message here.',
  activated: (name: string, channelId: string) =>
    `${bold(name)} now answers every message in <#${channelId}> and its threads.`,
  deactivated: (name: string) => `${bold(name)} no longer answers every message here.`,
  deactivatedUnknown: () => 'No personality answers every message here any more.',
  nothingToDeactivate: () => 'No personality is activated in this channel.',
  inheritedCannotDeactivate: (name: string, parentId: string) =>
    `This thread inherits ${bold(name)} from <#${parentId}>. Run /deactivate there to stop it.`,
  activationHere: (name: string, userId: string | null, activatedAt: number) =>
    `${bold(name)} answers every message here (activated ${userId === null ? '' : `by <@${userId}> `}<t:${Math.floor(activatedAt / 1000)}:R>).`,
  activationInherited: (name: string, parentId: string) =>
    `${bold(name)} answers every message here, inherited from <#${parentId}>.`,
  activationMissing: () => 'A personality that no longer exists (it will be ignored).',
  noActivation: () =>
    'No personality answers every message here. Address one with @Name, or run /activate to pick one.',

  // /reset.
  reset: (count: number, name: string | null, everywhere: boolean, notes = 0) =>
    count === 0 && notes === 0
      ? 'There was nothing to forget.'
      : `Forgot ${plural(count, 'conversation')}${name === null ? '' : ` with ${bold(name)}`}${everywhere ? ' everywhere' : ' in this channel'}${notes === 0 ? '' : `, and your notes for ${plural(notes, 'personality', 'personalities')}`}.`,

  // /memory.
  noteEmpty: () => 'Note: write the fact the personality should keep in mind.',
  noteTooLong: (max: number, length: number) => `Note: at most ${max} characters (this one has ${length}).`,
  notesFull: (name: string, max: number) =>
    `${bold(name)} already keeps ${max} notes for you, the most it may. Forget some with /memory forget.`,
  noteAdded: (name: string, count: number, max: number) =>
    `${bold(name)} will keep that in mind (${count} of ${max} notes).`,
  memoryEmpty: (name: string | null) =>
    name === null ? 'Nothing is remembered about you.' : `${bold(name)} remembers nothing about you.`,
  memoryHeading: (name: string) => `**What ${bold(name)} remembers**`,
  memorySummaryHere: () => '__Summary of your conversation here__',
  memorySummaryEverywhere: () => '__Summary across channels__',
  memorySummaryIn: (channelId: string) => `__Summary of your conversation in <#${channelId}>__`,
  memoryNotes: () => '__Your notes__',
  memoryShortened: () => '… (shortened to fit)',
  memoryForgotten: (memories: number, notes: number, name: string | null) =>
    memories === 0 && notes === 0
      ? 'There was nothing to forget.'
      : `Forgot ${plural(memories, 'summary', 'summaries')} and the notes of ${plural(notes, 'personality', 'personalities')}${name === null ? '' : ` (${bold(name)})`}.`,

  // /apikey.
  keyInvalid: (max: number) => `Key: must be 1–${max} characters without spaces or line breaks.`,
  keySaved: (provider: string, fingerprint: string) =>
    `Saved your key for ${bold(provider)} (fingerprint \`${fingerprint}\`). It is stored encrypted and used for your messages from now on. Check it with /apikey test.`,
  keyRemoved: (provider: string, fingerprint: string) =>
    `Deleted your key for ${bold(provider)} (fingerprint \`${fingerprint}\`). Your messages use the bot’s key again.`,
  noKey: (provider: string) => `You have no key stored for ${bold(provider)}. Add one with /apikey set.`,
  keyTestQueued: (provider: string, fingerprint: string) =>
    `Testing your key for ${bold(provider)} (fingerprint \`${fingerprint}\`)…`,

  // /status.
  statusTitle: () => 'Chorus status',
  statusYou: () => 'You',
  statusYourPending: (pending: number, max: number) => `Replies on the way: ${pending} of at most ${max}`,
  statusYourRate: (available: number, burst: number, perMinute: number, retryAfterMs: number) =>
    retryAfterMs > 0
      ? `Messages you can send now: 0 of ${burst} (refills at ${perMinute}/min; next in ${Math.ceil(retryAfterMs / 1000)} s)`
      : `Messages you can send now: ${available} of ${burst} (refills at ${perMinute}/min)`,
  statusYourKeys: (keys: readonly string[]) =>
    keys.length === 0 ? 'Your API keys: none (the bot’s keys are used)' : `Your API keys: ${keys.join(', ')}`,
  statusQueue: () => 'Queue',
  statusQueueLine: (waiting: number, active: number, workers: number) =>
    `${waiting} waiting, ${active} being answered, ${plural(workers, 'live worker')}`,
  statusBreakers: () => 'AI providers',
  statusNoBreakers: () => 'No AI calls recently.',
  statusBreakerLine: (provider: string, model: string, state: string, p50: string, p95: string) =>
    `${provider}/${model}: ${state} · p50 ${p50} · p95 ${p95}`,
  statusYourBreakerLine: (provider: string, model: string, fingerprint: string, state: string) =>
    `Your key \`${fingerprint}\` on ${provider}/${model}: ${state}`,
  statusOperatorUsage: (period: 'today' | 'this month') =>
    period === 'today' ? 'Tokens today (UTC, operator view)' : 'Tokens this month (UTC, operator view)',
  statusOperatorTotals: (operator: number, own: number) =>
    `Your keys paid ${formatTokens(operator)}; users' own keys ${formatTokens(own)}`,
  statusModelLine: (
    provider: string,
    model: string,
    payer: 'operator' | 'own',
    prompt: number,
    completion: number,
  ) =>
    `${provider}/${model}${payer === 'own' ? ' (own keys)' : ''}: ${formatTokens(prompt)} prompt · ${formatTokens(completion)} completion`,
  statusGuildLine: (guildId: string, tokens: number) => `Server \`${guildId}\`: ${formatTokens(tokens)}`,
  statusNoUsage: () => 'No tokens counted.',

  // /usage.
  usageTitle: () => 'Your token usage',
  usagePeriod: (period: 'today' | 'this month') => (period === 'today' ? 'Today (UTC)' : 'This month (UTC)'),
  usageTotals: (operator: number, own: number) =>
    own > 0
      ? `${formatTokens(operator + own)} in all: ${formatTokens(operator)} on the bot's keys, ${formatTokens(own)} on your own keys`
      : `${formatTokens(operator)} in all, on the bot's keys`,
  usagePersonalityLine: (name: string, tokens: number) => `${name}: ${formatTokens(tokens)}`,
  usageDeletedPersonality: () => '(a personality since removed)',
  usageNone: () => 'No tokens yet.',
  usageQuota: (limit: number, used: number) =>
    `The bot's daily allowance per person: ${formatTokens(limit)} (${formatTokens(Math.min(used, limit))} used today; your own keys don't count).`,
  /**
   * A breaker's state in words, with the state's name; an open one says when it lets a trial call through
   * (`probeAt`, Unix ms: a Discord timestamp, which every reader sees counting down in their own time).
   */
  breakerState: (state: 'closed' | 'half-open' | 'open', probeAt: number | null, now: number) => {
    if (state === 'closed') return 'working (closed)';
    if (state === 'half-open') return 'recovering (half-open: trying one call)';
    if (probeAt === null) return 'failing (open)';
    return probeAt <= now
      ? 'failing (open; retrying now)'
      : `failing (open; retries <t:${Math.ceil(probeAt / 1000)}:R>)`;
  },
  latency: (ms: number | null) =>
    ms === null ? '–' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`,

  // /forget-me.
  forgotten: (erased: {
    conversations: number;
    apiKeys: number;
    dmSticky: number;
    queueKeys: number;
    coEdited: number;
    /** Lines of channel windows: the user's messages and the replies to them. */
    windowLines?: number;
  }) => {
    const parts = [
      plural(erased.conversations, 'conversation'),
      plural(erased.apiKeys, 'API key'),
      erased.dmSticky > 0 ? 'your DM personality choice' : null,
      plural(erased.queueKeys, 'queue and rate-limit record'),
      (erased.windowLines ?? 0) > 0 ? plural(erased.windowLines ?? 0, 'channel message') : null,
      erased.coEdited > 0
        ? `your co-editing of ${plural(erased.coEdited, 'personality', 'personalities')}`
        : null,
    ].filter((part): part is string => part !== null);
    return `Deleted everything stored about you: ${parts.join(', ')}.`;
  },
  forgetAskPersonalities: (count: number) =>
    `You also own ${plural(count, 'personality', 'personalities')}. Delete ${count === 1 ? 'it' : 'them'} too? Other people can no longer talk to ${count === 1 ? 'it' : 'them'} then.`,
  forgetPersonalitiesButton: (count: number) => `Delete my ${plural(count, 'personality', 'personalities')}`,
  keepPersonalitiesButton: () => 'Keep them',
  forgottenPersonalities: (count: number) =>
    `Deleted ${plural(count, 'personality', 'personalities')} with ${count === 1 ? 'its' : 'their'} aliases and activations. Nothing about you is stored any more.`,
  keptPersonalities: () => 'Kept your personalities. Everything else about you is deleted.',

  // /help.
  helpTitle: () => 'Chorus: AI personalities in your server',
  helpIntro: () =>
    'Anyone can create AI personalities, each with its own name, avatar and prompt. They answer in the channel under their own name and picture.',
  helpAddressingTitle: () => 'Talking to a personality',
  helpAddressing: (maxPerMessage: number) =>
    [
      `• Write **@Name** anywhere in a message (up to ${maxPerMessage} personalities per message).`,
      '• **Reply** to a personality’s message to carry on the conversation.',
      '• **/activate** makes one personality answer every message in a channel; its threads inherit it.',
      '• In **DMs** with the bot, the last personality you named keeps answering until you name another.',
    ].join('\n'),
  helpLimitsTitle: () => 'Limits',
  helpLimits: (limits: {
    userMaxPending: number;
    userBurst: number;
    userRatePerMinute: number;
    maxTurns: number;
    ttlSeconds: number;
  }) =>
    [
      `• At most ${plural(limits.userMaxPending, 'reply', 'replies')} on the way to you at once.`,
      `• ${plural(limits.userBurst, 'message')} in a burst, then ${limits.userRatePerMinute} per minute.`,
      `• Each conversation remembers its last ${limits.maxTurns} messages, for ${describeDuration(limits.ttlSeconds)} after the last one.`,
    ].join('\n'),
  helpCommandsTitle: () => 'Commands',
  helpCommands: () =>
    [
      '• **/personality** create, edit, remove, info, list, alias, share, unshare: manage personalities (the owner, and co-editors they share one with, edit it).',
      '• **/reset**: make personalities forget your conversation here, or everywhere.',
      '• **/memory** add, show, forget: notes a personality keeps in mind, and what it remembers of you.',
      '• **/apikey** set, remove, test: use your own AI provider key (stored encrypted).',
      '• **/status**: your pending replies and limits, and the bot’s health.',
      '• **/usage**: the tokens your conversations used today and this month, per personality.',
      '• **/forget-me**: delete everything stored about you.',
      '• **/server** (Manage Server): which personalities answer in this server, where, and for whom.',
      '• Right-click a personality’s reply → **Apps** → **Delete reply** or **Regenerate**.',
    ].join('\n'),

  // Context-menu commands on a personality's reply.
  notAReply: () =>
    'That message is not a personality’s reply I still know about (replies are remembered for 7 days).',
  cannotDeleteReply: () =>
    'Permission: only the person this reply answered, the personality’s owner, or someone with Manage Messages in this channel, can delete it.',
  cannotRegenerate: () =>
    'Permission: only the person this reply answered can regenerate it (the new answer uses their API key and counts against their limits).',
  deleting: () => 'Deleting…',
  personalityGone: () => 'The personality that wrote this reply no longer exists.',
  personalityPrivate: () =>
    'The personality that wrote this reply is private now: only its owner can talk to it.',
  sourceNotFound: () =>
    'I can’t find the message this reply answered: the conversation was reset or is too old, or the reply was a notice.',
  sourceGone: () => 'The message this reply answered was deleted, so there is nothing to answer again.',
  regenerating: (name: string) => `Asking ${bold(name)} again…`,
  alreadyRegenerating: (name: string) => `${bold(name)} is already answering that again.`,
} as const;

/** A token count for people: `1,234 tokens`. */
function formatTokens(tokens: number): string {
  return `${tokens.toLocaleString('en-US')} ${tokens === 1 ? 'token' : 'tokens'}`;
}
