export { createRedis, type RedisClient, type RedisConnectionSettings, type RedisRole } from './connection.js';
export { buildCounterSpec, type CounterWrite } from './counter-write.js';
export { replaceHashFieldIf } from './hash-field.js';
export { fetchIndexMembers } from './index-members.js';
export { CLUSTER_SLOT_COUNT, computeKeySlot } from './key-slot.js';
export { buildChannelTag, buildKey, buildUserTag } from './keys.js';
export { type QueueCommand, RedisBatch, type SlotReadCommand } from './redis-batch.js';
export { waitForReplicas } from './replica-wait.js';
export type { ScriptCall } from './script-call.js';
export { loadScripts, registerScripts, runScript, type ScriptDefinition } from './script-loader.js';
export { BUNDLE_LABEL_PREFIX, composeBundleLua } from './slot-bundle.js';
export {
  DefaultStoredTextCacheOptions,
  StoredTextCache,
  type StoredTextCacheOptions,
} from './stored-text-cache.js';
