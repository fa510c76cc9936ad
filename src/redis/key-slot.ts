/**
 * Redis Cluster's key → slot mapping, computed locally (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model):
 * CRC16 (XMODEM) of the key's hash tag, or of the whole key when it has none, modulo 16384.
 */

/** Slots of a Redis Cluster. */
export const CLUSTER_SLOT_COUNT = 16_384;

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * The part of `key` that is hashed: the text between the first `{` and the next `}` when that is not empty,
 * else the whole key (the spec's rule, so `{}` and an unclosed `{` hash the whole key).
 */
function findHashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

/** The Cluster slot of `key`, as `CLUSTER KEYSLOT` answers it. */
export function computeKeySlot(key: string): number {
  return crc16(new TextEncoder().encode(findHashedPart(key))) % CLUSTER_SLOT_COUNT;
}
