/** Discord's embed rules: per-field limits, URL schemes, and the 6000-character total over all embeds. */
import { DiscordFieldErrors, type DiscordFieldPath } from '../discord-errors.js';
import {
  checkOptionalArray,
  checkOptionalString,
  checkOptionalUrl,
  checkRequiredString,
  codePointLength,
  type FieldErrorCollector,
  isObject,
} from './field-checks.js';
import { DiscordPayloadLimits } from './payload-limits.js';

/** Sum of the characters of one embed that count towards the 6000 total. */
interface EmbedMeasure {
  readonly characters: number;
}

function checkEmbed(errors: FieldErrorCollector, path: DiscordFieldPath, embed: unknown): EmbedMeasure {
  if (!isObject(embed)) {
    errors.add(path, DiscordFieldErrors.notObject());
    return { characters: 0 };
  }
  const counted: (string | undefined)[] = [];
  counted.push(
    checkOptionalString(errors, [...path, 'title'], embed['title'], DiscordPayloadLimits.embedTitle),
  );
  counted.push(
    checkOptionalString(
      errors,
      [...path, 'description'],
      embed['description'],
      DiscordPayloadLimits.embedDescription,
    ),
  );
  checkOptionalUrl(errors, [...path, 'url'], embed['url']);
  const footer = embed['footer'];
  if (footer !== undefined && footer !== null) {
    if (isObject(footer)) {
      counted.push(
        checkRequiredString(
          errors,
          [...path, 'footer', 'text'],
          footer['text'],
          DiscordPayloadLimits.embedFooterText,
        ),
      );
    } else {
      errors.add([...path, 'footer'], DiscordFieldErrors.notObject());
    }
  }
  const author = embed['author'];
  if (author !== undefined && author !== null) {
    if (isObject(author)) {
      counted.push(
        checkRequiredString(
          errors,
          [...path, 'author', 'name'],
          author['name'],
          DiscordPayloadLimits.embedAuthorName,
        ),
      );
      checkOptionalUrl(errors, [...path, 'author', 'url'], author['url']);
    } else {
      errors.add([...path, 'author'], DiscordFieldErrors.notObject());
    }
  }
  for (const media of ['image', 'thumbnail'] as const) {
    const value = embed[media];
    if (value === undefined || value === null) continue;
    if (isObject(value)) checkOptionalUrl(errors, [...path, media, 'url'], value['url']);
    else errors.add([...path, media], DiscordFieldErrors.notObject());
  }
  const fields = checkOptionalArray(errors, [...path, 'fields'], embed['fields']);
  if (fields !== undefined) {
    if (fields.length > DiscordPayloadLimits.embedFields) {
      errors.add([...path, 'fields'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.embedFields));
    }
    fields.forEach((field, index) => {
      const fieldPath = [...path, 'fields', index];
      if (!isObject(field)) {
        errors.add(fieldPath, DiscordFieldErrors.notObject());
        return;
      }
      counted.push(
        checkRequiredString(
          errors,
          [...fieldPath, 'name'],
          field['name'],
          DiscordPayloadLimits.embedFieldName,
        ),
      );
      counted.push(
        checkRequiredString(
          errors,
          [...fieldPath, 'value'],
          field['value'],
          DiscordPayloadLimits.embedFieldValue,
        ),
      );
      const inline = field['inline'];
      if (inline !== undefined && inline !== null && typeof inline !== 'boolean') {
        errors.add([...fieldPath, 'inline'], DiscordFieldErrors.notBoolean(inline));
      }
    });
  }
  return {
    characters: counted.reduce((sum, text) => sum + (text === undefined ? 0 : codePointLength(text)), 0),
  };
}

export function checkEmbeds(errors: FieldErrorCollector, value: unknown): number {
  const embeds = checkOptionalArray(errors, ['embeds'], value);
  if (embeds === undefined) return 0;
  if (embeds.length > DiscordPayloadLimits.embeds) {
    errors.add(['embeds'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.embeds));
  }
  const total = embeds.reduce<number>(
    (sum, embed, index) => sum + checkEmbed(errors, ['embeds', index], embed).characters,
    0,
  );
  if (total > DiscordPayloadLimits.embedTotal) {
    errors.add(['embeds'], DiscordFieldErrors.embedSizeExceeded(DiscordPayloadLimits.embedTotal));
  }
  return embeds.length;
}
