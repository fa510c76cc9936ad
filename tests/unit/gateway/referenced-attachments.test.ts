import { describe, expect, it } from 'vitest';
import { ReferencedAttachments } from '../../../src/gateway/referenced-attachments.js';

const CHANNEL = '300000000000000001';
const cat = {
  id: '9',
  filename: 'cat.png',
  size: 5,
  url: 'https://cdn.discordapp.com/a/cat.png',
  content_type: 'image/png',
};

function packet(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    channel_id: CHANNEL,
    message_reference: { type: 0, message_id: '8', channel_id: CHANNEL },
    referenced_message: { id: '8', channel_id: CHANNEL, attachments: [cat] },
    ...overrides,
  };
}

describe('ReferencedAttachments', () => {
  it("keeps a reply's referenced attachments until its handler takes them, once", () => {
    const referenced = new ReferencedAttachments();
    referenced.remember(packet('100'));
    expect(referenced.take('100')).toEqual([
      {
        id: '9',
        filename: 'cat.png',
        contentType: 'image/png',
        size: 5,
        url: 'https://cdn.discordapp.com/a/cat.png',
      },
    ]);
    expect(referenced.take('100')).toEqual([]);
  });

  describe('when there is nothing to keep', () => {
    it.each([
      ['a message that replies to nothing', { message_reference: undefined, referenced_message: undefined }],
      ['a reply whose message Discord did not send (deleted)', { referenced_message: null }],
      [
        'a reply to a message without files',
        { referenced_message: { id: '8', channel_id: CHANNEL, attachments: [] } },
      ],
      ['a forward', { message_reference: { type: 1, message_id: '8', channel_id: '1' } }],
      [
        'a message in another channel',
        { referenced_message: { id: '8', channel_id: '1', attachments: [cat] } },
      ],
    ])('%s', (_name, overrides) => {
      const referenced = new ReferencedAttachments();
      referenced.remember(packet('100', overrides));
      expect(referenced.take('100')).toEqual([]);
    });
  });

  it('forgets the oldest entries past its size, so untaken ones cannot pile up', () => {
    const referenced = new ReferencedAttachments(2);
    for (const id of ['1', '2', '3']) referenced.remember(packet(id));
    expect(referenced.take('1')).toEqual([]);
    expect(referenced.take('3')).toHaveLength(1);
  });
});
