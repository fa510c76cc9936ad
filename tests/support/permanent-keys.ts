/**
 * The key families Chorus keeps without a TTL, built from each area's key builders (a `*` for the id), so a
 * key scan can tell a permanent family from a leak. docs/guarantees.md lists the same family names (a test
 * checks they agree): change one, change both.
 */
import { buildGuildSettingsKey } from '../../src/guilds/index.js';
import { buildNotesKey } from '../../src/memory/keys.js';
import { buildBullPrefix, QUEUE_NAME } from '../../src/queue/index.js';
import {
  buildActivationKey,
  buildApiKeysKey,
  buildCatalogEntriesKey,
  buildCatalogEntryNamesKey,
  buildCatalogListingKey,
  buildCatalogNamesKey,
  buildDmStickyKey,
  buildGuildActivationsKey,
  buildPersonalitiesKey,
  buildPersonalityActivationsKey,
  buildPersonalityNamesKey,
  buildSharedPersonalitiesKey,
  buildUserActivationsKey,
} from '../../src/state/keys.js';
import { TASK_QUEUE_NAME } from '../../src/tasks/index.js';
import { buildWebhookPoolKey } from '../../src/webhooks/keys.js';

/** One family of keys without a TTL, and the globs (`*`: any text) of its keys. */
export interface PermanentKeyFamily {
  /** As docs/guarantees.md names it. */
  readonly name: string;
  readonly globs: readonly string[];
}

export function buildPermanentKeyFamilies(prefix: string): PermanentKeyFamily[] {
  const any = '*';
  return [
    {
      name: 'personalities',
      globs: [
        buildPersonalitiesKey(prefix, any),
        buildPersonalityNamesKey(prefix, any),
        buildSharedPersonalitiesKey(prefix, any),
      ],
    },
    {
      name: 'catalog',
      globs: [
        buildCatalogNamesKey(prefix),
        buildCatalogEntriesKey(prefix),
        buildCatalogEntryNamesKey(prefix),
        buildCatalogListingKey(prefix),
      ],
    },
    {
      name: 'activations',
      globs: [
        buildActivationKey(prefix, any),
        buildGuildActivationsKey(prefix, any),
        buildPersonalityActivationsKey(prefix, any),
        buildUserActivationsKey(prefix, any),
      ],
    },
    { name: 'api-keys', globs: [buildApiKeysKey(prefix, any)] },
    { name: 'settings', globs: [buildDmStickyKey(prefix, any)] },
    { name: 'memory-notes', globs: [buildNotesKey(prefix, any)] },
    { name: 'guild-settings', globs: [buildGuildSettingsKey(prefix, any)] },
    { name: 'webhook-pools', globs: [buildWebhookPoolKey(prefix, any)] },
    {
      name: 'bullmq',
      globs: [QUEUE_NAME, TASK_QUEUE_NAME].map((queue) => `${buildBullPrefix(prefix)}:${queue}:${any}`),
    },
  ];
}

/** The family a key without a TTL belongs to, or null for a key that should have had one. */
export function findPermanentFamily(families: readonly PermanentKeyFamily[], key: string): string | null {
  for (const family of families) {
    if (family.globs.some((glob) => globToRegExp(glob).test(key))) return family.name;
  }
  return null;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
