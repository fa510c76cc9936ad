/** The building blocks of Discord's body validation: field types, lengths, URLs, and the 50035 error tree. */
import {
  addFieldError,
  DiscordErrors,
  type DiscordErrorTree,
  type DiscordFieldError,
  DiscordFieldErrors,
  type DiscordFieldPath,
  type DiscordHttpError,
} from '../discord-errors.js';

export const snowflakePattern = /^\d{1,20}$/;

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Discord measures string lengths in code points, not UTF-16 units. */
export function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}

/** Collects field errors into one tree, so one answer reports every bad field as Discord does. */
export class FieldErrorCollector {
  readonly tree: DiscordErrorTree = {};
  #count = 0;
  add(path: DiscordFieldPath, error: DiscordFieldError): void {
    addFieldError(this.tree, path, error);
    this.#count += 1;
  }
  get empty(): boolean {
    return this.#count === 0;
  }
  /** The 50035 answer, or `null` when nothing was collected. */
  toError(): DiscordHttpError | null {
    return this.empty ? null : DiscordErrors.invalidFormBody(this.tree);
  }
}

/**
 * Checks an optional string field: `null`/absent passes; otherwise it must be a string within `max` code points.
 * Returns the string (or `undefined`) so callers can go on measuring it.
 */
export function checkOptionalString(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
  max: number,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.add(path, DiscordFieldErrors.notString(value));
    return undefined;
  }
  if (codePointLength(value) > max) errors.add(path, DiscordFieldErrors.maxLength(max));
  return value;
}

/** Like {@link checkOptionalString} but the field must be present. */
export function checkRequiredString(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
  max: number,
): string | undefined {
  if (value === undefined || value === null) {
    errors.add(path, DiscordFieldErrors.required());
    return undefined;
  }
  return checkOptionalString(errors, path, value, max);
}

/** Checks an optional http(s) URL field. */
export function checkOptionalUrl(errors: FieldErrorCollector, path: DiscordFieldPath, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') {
    errors.add(path, DiscordFieldErrors.notString(value));
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    errors.add(path, DiscordFieldErrors.invalidUrl());
    return;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') errors.add(path, DiscordFieldErrors.invalidUrlScheme(scheme));
}

/** Returns the array at `value`, or `undefined` (recording an error when it is present but not an array). */
export function checkOptionalArray(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
): readonly unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    errors.add(path, DiscordFieldErrors.notArray());
    return undefined;
  }
  return value;
}
