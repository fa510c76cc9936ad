/** Discord's message component rules: action rows, buttons (styles, custom ids, links, SKUs) and selects. */
import { DiscordFieldErrors, type DiscordFieldPath } from '../discord-errors.js';
import {
  checkOptionalArray,
  checkOptionalString,
  checkOptionalUrl,
  checkRequiredString,
  type FieldErrorCollector,
  isObject,
  type JsonObject,
  snowflakePattern,
} from './field-checks.js';
import { DiscordPayloadLimits } from './payload-limits.js';

const buttonStyles = [1, 2, 3, 4, 5, 6] as const;
const linkButtonStyle = 5;
const premiumButtonStyle = 6;
const actionRowType = 1;
const buttonType = 2;
/** String, user, role, mentionable and channel selects: each fills a whole action row. */
const selectTypes: ReadonlySet<number> = new Set([3, 5, 6, 7, 8]);

function checkButton(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  button: JsonObject,
  seenCustomIds: Set<string>,
): void {
  const style = button['style'];
  if (!buttonStyles.some((allowed) => allowed === style)) {
    errors.add([...path, 'style'], DiscordFieldErrors.choices(buttonStyles));
    return;
  }
  checkOptionalString(errors, [...path, 'label'], button['label'], DiscordPayloadLimits.buttonLabel);
  const hasCustomId = button['custom_id'] !== undefined && button['custom_id'] !== null;
  const hasUrl = button['url'] !== undefined && button['url'] !== null;
  if (style === linkButtonStyle) {
    if (hasCustomId) errors.add(path, DiscordFieldErrors.buttonCustomIdAndUrl());
    if (hasUrl) checkOptionalUrl(errors, [...path, 'url'], button['url']);
    else errors.add([...path, 'url'], DiscordFieldErrors.buttonUrlRequired());
    return;
  }
  if (style === premiumButtonStyle) {
    // Premium buttons point at a SKU; they carry neither a custom id nor a url.
    const skuId = button['sku_id'];
    if (skuId === undefined || skuId === null) errors.add([...path, 'sku_id'], DiscordFieldErrors.required());
    else if (typeof skuId !== 'string' || !snowflakePattern.test(skuId)) {
      errors.add([...path, 'sku_id'], DiscordFieldErrors.notSnowflake(skuId));
    }
    if (hasCustomId || hasUrl) errors.add(path, DiscordFieldErrors.buttonCustomIdAndUrl());
    return;
  }
  if (hasUrl) errors.add(path, DiscordFieldErrors.buttonCustomIdAndUrl());
  if (!hasCustomId) {
    errors.add([...path, 'custom_id'], DiscordFieldErrors.buttonCustomIdRequired());
    return;
  }
  checkCustomId(errors, [...path, 'custom_id'], button['custom_id'], seenCustomIds);
}

function checkCustomId(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
  seenCustomIds: Set<string>,
): void {
  const customId = checkRequiredString(errors, path, value, DiscordPayloadLimits.customId);
  if (customId === undefined) return;
  if (seenCustomIds.has(customId)) errors.add(path, DiscordFieldErrors.customIdDuplicated());
  seenCustomIds.add(customId);
}

export function checkComponents(errors: FieldErrorCollector, value: unknown): number {
  const rows = checkOptionalArray(errors, ['components'], value);
  if (rows === undefined) return 0;
  if (rows.length > DiscordPayloadLimits.actionRows) {
    errors.add(['components'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.actionRows));
  }
  const seenCustomIds = new Set<string>();
  rows.forEach((row, rowIndex) => {
    const rowPath = ['components', rowIndex];
    if (!isObject(row)) {
      errors.add(rowPath, DiscordFieldErrors.notObject());
      return;
    }
    if (row['type'] !== actionRowType) {
      errors.add([...rowPath, 'type'], DiscordFieldErrors.choices([actionRowType]));
      return;
    }
    const children = checkOptionalArray(errors, [...rowPath, 'components'], row['components']);
    if (children === undefined) {
      errors.add([...rowPath, 'components'], DiscordFieldErrors.required());
      return;
    }
    if (children.length < 1 || children.length > DiscordPayloadLimits.actionRowComponents) {
      errors.add(
        [...rowPath, 'components'],
        DiscordFieldErrors.badLength(1, DiscordPayloadLimits.actionRowComponents),
      );
    }
    children.forEach((child, childIndex) => {
      const childPath = [...rowPath, 'components', childIndex];
      if (!isObject(child)) {
        errors.add(childPath, DiscordFieldErrors.notObject());
        return;
      }
      const type = child['type'];
      if (type === buttonType) {
        checkButton(errors, childPath, child, seenCustomIds);
      } else if (typeof type === 'number' && selectTypes.has(type)) {
        if (children.length > 1) errors.add(childPath, DiscordFieldErrors.componentWidthExceeded());
        checkCustomId(errors, [...childPath, 'custom_id'], child['custom_id'], seenCustomIds);
      } else {
        errors.add([...childPath, 'type'], DiscordFieldErrors.choices([buttonType, ...selectTypes]));
      }
    });
  });
  return rows.length;
}
