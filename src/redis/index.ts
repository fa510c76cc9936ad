export { createRedis, type RedisClient, type RedisConnectionSettings, type RedisRole } from './connection.js';
export { buildKey, buildUserTag } from './keys.js';
export { loadScripts, registerScripts, runScript, type ScriptDefinition } from './script-loader.js';
