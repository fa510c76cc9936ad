import { decode as decodeTextChunk } from 'png-chunk-text';
import extractChunks from 'png-chunks-extract';
import type { z } from 'zod';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { type CardData, CardV2Schema, CardV3Schema, type ParsedCard } from './card-schema.js';
import { CardMessages } from './messages.js';

/** Limits of a card file, in one place (docs/character-cards.md). */
export const CardLimits = {
  /** Bytes of the attached file. */
  fileBytes: 2 * 1024 * 1024,
} as const;

/** A card file as attached. */
export interface CardFile {
  readonly filename: string;
  readonly bytes: Uint8Array;
}

/** The kind of card file a name says it is, or null for one Chorus does not read. */
export function findCardFileKind(filename: string): 'json' | 'png' | 'charx' | null {
  const extension = /\.([a-z0-9]+)$/i.exec(filename.trim())?.[1]?.toLowerCase();
  if (extension === 'json' || extension === 'png' || extension === 'charx') return extension;
  return null;
}

/**
 * Reads a Character Card V2/V3 from a `.json` or `.png` file (the card in a `ccv3` or `chara` tEXt chunk, base64
 * JSON; `ccv3` wins when both are there). Throws an InvalidInput {@link UserFacingError} naming what is wrong: the
 * size, the file type, the PNG, the spec or the first invalid field.
 */
export function parseCardFile(file: CardFile): ParsedCard {
  const kind = checkCardFile(file.filename, file.bytes.length);
  const json = kind === 'png' ? readPngCard(file.bytes) : Buffer.from(file.bytes).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    throw invalid(CardMessages.invalidJson());
  }
  return parseCardJson(value);
}

/**
 * What can be told of a card file from its name and size alone (before downloading it): the kind of file it is;
 * throws (InvalidInput) for a `.charx`, a file of another type, or one over {@link CardLimits.fileBytes}.
 */
export function checkCardFile(filename: string, size: number): 'json' | 'png' {
  if (size > CardLimits.fileBytes) throw invalid(CardMessages.tooLarge(CardLimits.fileBytes, size));
  const kind = findCardFileKind(filename);
  if (kind === 'charx') throw invalid(CardMessages.charxNotSupported());
  if (kind === null) throw invalid(CardMessages.unsupportedFile(filename));
  return kind;
}

/** A parsed card's JSON value, validated (spec, then each field). */
export function parseCardJson(value: unknown): ParsedCard {
  const spec = typeof value === 'object' && value !== null ? (value as { spec?: unknown }).spec : undefined;
  if (spec === 'chara_card_v2') {
    const card = checked(CardV2Schema, value);
    return { spec, data: card.data };
  }
  if (spec === 'chara_card_v3') {
    const card = checked(CardV3Schema, value);
    return { spec, data: foldV3Fields(card.data) };
  }
  throw invalid(CardMessages.unknownSpec(typeof spec === 'string' ? spec : String(spec ?? 'none')));
}

const V2_FIELDS: ReadonlySet<string> = new Set(Object.keys(CardV2Schema.shape.data.shape));

/** Key under `extensions` where V3's own fields are kept, so an export still carries them. */
export const V3_FIELDS_EXTENSION = 'chorus_v3_fields';

/** V3's fields beyond V2's (nickname, group_only_greetings, assets…) move under `extensions`, as kept data. */
function foldV3Fields(data: CardData & Record<string, unknown>): CardData {
  const base: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(data)) (V2_FIELDS.has(key) ? base : extra)[key] = field;
  const card = base as CardData;
  return Object.keys(extra).length === 0
    ? card
    : { ...card, extensions: { ...card.extensions, [V3_FIELDS_EXTENSION]: extra } };
}

function readPngCard(bytes: Uint8Array): string {
  let chunks: Array<{ name: string; data: Uint8Array }>;
  try {
    chunks = extractChunks(bytes);
  } catch {
    throw invalid(CardMessages.corruptPng());
  }
  const texts = new Map<string, string>();
  for (const chunk of chunks) {
    if (chunk.name !== 'tEXt') continue;
    const { keyword, text } = decodeTextChunk(chunk.data);
    const key = keyword.toLowerCase();
    if ((key === 'ccv3' || key === 'chara') && !texts.has(key)) texts.set(key, text);
  }
  const keyword = texts.has('ccv3') ? 'ccv3' : texts.has('chara') ? 'chara' : null;
  if (keyword === null) throw invalid(CardMessages.noCardInPng());
  const encoded = (texts.get(keyword) ?? '').trim();
  if (!/^[A-Za-z0-9+/=_-]+$/.test(encoded)) throw invalid(CardMessages.invalidChunk(keyword));
  return Buffer.from(encoded, 'base64').toString('utf8');
}

function checked<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.map(String).join('.') : 'card';
  throw invalid(CardMessages.invalidField(field, describeIssue(issue)));
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'unknown problem';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'too_small') return 'must not be empty';
  return issue.message.toLowerCase();
}

function invalid(message: string): UserFacingError {
  return new UserFacingError(ChorusErrorCode.InvalidInput, message);
}
