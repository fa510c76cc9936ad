import { buildKey, buildUserTag } from '../redis/index.js';

/**
 * Redis keys of the inspector area, one pure builder per key. Records sit under the requester's `{u:<userId>}`
 * tag, so `/forget-me` erases them with the user's other keys and they shard with them on a Cluster.
 */
const AREA = 'inspector';

/** STREAM of the user's prompt records (JSON), capped and expiring (see PromptInspectorRepository). */
export function buildPromptRecordsKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'prompts');
}
