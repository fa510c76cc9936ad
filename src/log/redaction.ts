/**
 * Secret scrubbing for log lines. pino's `redact` removes secrets under known keys; these patterns catch
 * the same secrets where they hide inside strings (error messages, URLs, request dumps).
 */

const REDACTED = '[REDACTED]';

/** Keys whose values are always secrets, wherever they sit in a logged object. */
export const SECRET_KEYS = [
  'token',
  'apiKey',
  'api_key',
  'authorization',
  'Authorization',
  'password',
  'encryptionKey',
  'previousEncryptionKey',
  'webhookToken',
  'DISCORD_TOKEN',
  'AI_API_KEY',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
] as const;

/** pino `redact.paths`: each secret key at the top level and up to two levels down. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Webhook URLs: /webhooks/<id>/<token>
  [/(\/webhooks\/\d+\/)[\w-]{20,}/g, `$1${REDACTED}`],
  // Bot tokens: three base64url parts separated by dots.
  [/\b[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}\b/g, REDACTED],
  // Authorization headers as text.
  [/\b(Bot|Bearer)\s+[\w.~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // OpenAI-style keys.
  [/\bsk-[\w-]{8,}/g, REDACTED],
];

/** Cheap pre-check so the common log line pays for one regex test, not four replaces. */
const MAYBE_SECRET = /webhooks\/|\.[\w-]{6,7}\.|Bot |Bearer |sk-/;

/** Returns `text` with every recognisable secret replaced by `[REDACTED]`. */
export function scrubSecrets(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let scrubbed = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** Deep-copies `value` with every string scrubbed; stops at `depth` to bound the cost per log line. */
export function scrubValue(value: unknown, depth = 4): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth - 1));
  if (value instanceof Error) {
    return {
      type: value.name,
      message: scrubSecrets(value.message),
      stack: value.stack === undefined ? undefined : scrubSecrets(value.stack),
      ...scrubRecord(value as unknown as Record<string, unknown>, depth - 1),
    };
  }
  return scrubRecord(value as Record<string, unknown>, depth - 1);
}

function scrubRecord(record: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) {
    out[key] = (SECRET_KEYS as readonly string[]).includes(key) ? REDACTED : scrubValue(item, depth);
  }
  return out;
}
