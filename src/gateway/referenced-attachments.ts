import { type AttachmentRef, parseApiAttachments } from '../discord/index.js';

/** Entries kept at most; a message whose handler never ran (an ignored channel type, say) is evicted oldest first. */
const DEFAULT_MAX_ENTRIES = 200;

/**
 * The attachments of the messages that new messages reply to, read from the raw MESSAGE_CREATE packet's
 * `referenced_message`: discord.js reads that object only into the channel's message cache, which the gateway
 * keeps empty (`discord-client.ts`), so the `messageCreate` handler cannot see it. discord.js emits `raw` just
 * before it handles the packet, so an entry lives from there until the handler takes it; only replies to a message
 * with files make one. Per process, like the client it reads.
 */
export class ReferencedAttachments {
  private readonly byMessage = new Map<string, AttachmentRef[]>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** Reads a MESSAGE_CREATE packet's `d`: keeps the replied-to message's attachments when it has any. */
  remember(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const message = data as Record<string, unknown>;
    const referenced = message['referenced_message'] as Record<string, unknown> | null | undefined;
    const reference = message['message_reference'] as Record<string, unknown> | undefined;
    if (typeof message['id'] !== 'string' || typeof referenced !== 'object' || referenced === null) return;
    // A forward's reference (type 1) points at a message elsewhere, which it does not answer.
    if (reference !== undefined && reference['type'] !== undefined && reference['type'] !== 0) return;
    if (referenced['channel_id'] !== undefined && referenced['channel_id'] !== message['channel_id']) return;
    const attachments = parseApiAttachments(referenced['attachments']);
    if (attachments.length === 0) return;
    if (this.byMessage.size >= this.maxEntries) {
      const oldest = this.byMessage.keys().next().value;
      if (oldest !== undefined) this.byMessage.delete(oldest);
    }
    this.byMessage.set(message['id'], attachments);
  }

  /** The replied-to message's attachments for `messageId` (once), or none. */
  take(messageId: string): AttachmentRef[] {
    const attachments = this.byMessage.get(messageId);
    if (attachments === undefined) return [];
    this.byMessage.delete(messageId);
    return attachments;
  }
}
