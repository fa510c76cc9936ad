import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { CardData, ParsedCard } from './card-schema.js';
import { CardMessages } from './messages.js';

/** Limits of what an import stores (docs/character-cards.md). */
export const CardImportLimits = {
  /** Characters of an imported prompt (typed prompts keep the 6,000 of the slash-command option). */
  promptChars: 32_000,
  /** Characters of the greeting (`first_mes`); it is cut to a message's length when posted. */
  greetingChars: 32_000,
  /**
   * Bytes of the kept fields' JSON. They are stored in the personality's record, which every reply reads and the
   * public catalog copies, so they are bounded well below the file's 2 MB.
   */
  keptBytes: 256 * 1024,
} as const;

/** The card fields a personality keeps for export: everything but `name` and `first_mes` (stored apart). */
export type StoredCard = Omit<CardData, 'name' | 'first_mes'>;

/** What an import makes of a card. */
export interface CardImport {
  readonly name: string;
  readonly systemPrompt: string;
  /** `first_mes`, or null when empty. */
  readonly greeting: string | null;
  readonly card: StoredCard;
  /** The kept fields that have content but Chorus does not use yet, by their card names. */
  readonly unusedFields: readonly string[];
}

/**
 * The prompt a card makes: its non-empty parts, in this order, separated by blank lines —
 * `system_prompt`; `description`; `Personality: …`; `Scenario: …`; `Example messages:` + `mes_example`;
 * `post_history_instructions`. `{{char}}`/`{{user}}` stay as written (substituted at prompt time).
 */
export function buildCardPrompt(card: Pick<CardData, PromptField>): string {
  const parts = [
    card.system_prompt.trim(),
    card.description.trim(),
    labelled('Personality:', card.personality),
    labelled('Scenario:', card.scenario),
    labelled('Example messages:\n', card.mes_example),
    card.post_history_instructions.trim(),
  ];
  return parts.filter((part) => part !== '').join('\n\n');
}

type PromptField =
  | 'system_prompt'
  | 'description'
  | 'personality'
  | 'scenario'
  | 'mes_example'
  | 'post_history_instructions';

function labelled(label: string, text: string): string {
  const value = text.trim();
  if (value === '') return '';
  return label.endsWith('\n') ? `${label}${value}` : `${label} ${value}`;
}

/** Maps a parsed card to a personality's fields; throws (InvalidInput, naming the field) past the limits. */
export function mapCardToPersonality(parsed: ParsedCard): CardImport {
  const { name, first_mes, ...card } = parsed.data;
  const systemPrompt = buildCardPrompt(card);
  if (systemPrompt === '') throw invalid(CardMessages.emptyPrompt());
  if (systemPrompt.length > CardImportLimits.promptChars)
    throw invalid(CardMessages.promptTooLong(CardImportLimits.promptChars, systemPrompt.length));
  const greeting = first_mes.trim();
  if (greeting.length > CardImportLimits.greetingChars)
    throw invalid(CardMessages.fieldTooLong('first_mes', CardImportLimits.greetingChars, greeting.length));
  const keptBytes = Buffer.byteLength(JSON.stringify(card));
  if (keptBytes > CardImportLimits.keptBytes) {
    const [largest] = Object.entries(card)
      .map(([field, value]) => [field, Buffer.byteLength(JSON.stringify(value ?? null))] as const)
      .sort((a, b) => b[1] - a[1]);
    throw invalid(CardMessages.keptTooLarge(largest?.[0] ?? 'card', CardImportLimits.keptBytes, keptBytes));
  }
  const unusedFields = [
    card.alternate_greetings.length > 0 ? 'alternate_greetings' : null,
    card.character_book !== undefined ? 'character_book' : null,
    card.tags.length > 0 ? 'tags' : null,
    card.creator !== '' ? 'creator' : null,
    card.creator_notes !== '' ? 'creator_notes' : null,
    card.character_version !== '' ? 'character_version' : null,
    Object.keys(card.extensions).length > 0 ? 'extensions' : null,
  ].filter((field): field is string => field !== null);
  return { name: name.trim(), systemPrompt, greeting: greeting === '' ? null : greeting, card, unusedFields };
}

/** The personality fields an export reads. */
export interface ExportablePersonality {
  readonly name: string;
  readonly systemPrompt: string;
  readonly greeting: string | null;
  /** The kept card fields (null for a personality made with /personality create). */
  readonly card: StoredCard | null;
}

/**
 * A personality as a Character Card V2 (spec_version 2.0). A card import exports its kept fields as imported,
 * with the personality's current name and greeting. When the prompt no longer matches the card's fields (edited
 * since, or never a card), the prompt goes to `description` and the other prompt fields are left empty, so
 * importing the export gives the same prompt back.
 */
export function buildCardExport(personality: ExportablePersonality): {
  spec: 'chara_card_v2';
  spec_version: '2.0';
  data: CardData;
} {
  const kept: StoredCard = personality.card ?? {
    description: '',
    personality: '',
    scenario: '',
    mes_example: '',
    creator_notes: '',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: [],
    creator: '',
    character_version: '',
    extensions: {},
  };
  const promptFields =
    buildCardPrompt(kept) === personality.systemPrompt
      ? {}
      : {
          description: personality.systemPrompt,
          personality: '',
          scenario: '',
          system_prompt: '',
          mes_example: '',
          post_history_instructions: '',
        };
  return {
    spec: 'chara_card_v2',
    spec_version: '2.0',
    data: { ...kept, ...promptFields, name: personality.name, first_mes: personality.greeting ?? '' },
  };
}

/** The export's file name: the personality's name, reduced to safe characters. */
export function buildCardFileName(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[_.]+|[_.]+$/g, '');
  return `${base === '' ? 'character' : base.slice(0, 64)}.card.json`;
}

function invalid(message: string): UserFacingError {
  return new UserFacingError(ChorusErrorCode.InvalidInput, message);
}
