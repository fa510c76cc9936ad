import { describe, expect, it } from 'vitest';
import { findAnsweredMessageIdOf, type ReplyJob, ReplyJobSchema } from '../../../src/queue/reply-job.js';

const job: ReplyJob = {
  kind: 'reply',
  version: 1,
  correlationId: 'c1',
  messageId: '200000000000000001',
  channelId: '300000000000000001',
  parentChannelId: null,
  guildId: '400000000000000001',
  authorId: '500000000000000001',
  authorName: 'Olive',
  content: 'hello',
  trigger: 'mention',
  personalityId: 'alicepersona',
  messageCreatedAt: 1,
  enqueuedAt: 2,
};

describe('ReplyJobSchema', () => {
  it('accepts a job, with or without the message a regeneration answers again', () => {
    expect(ReplyJobSchema.parse(job)).toEqual(job);
    const regeneration = { ...job, messageId: '200000000000000009', answersMessageId: job.messageId };
    expect(ReplyJobSchema.parse(regeneration)).toEqual(regeneration);
  });

  it('carries attachments as data, at most 10, and parses a job queued before them', () => {
    const attachment = {
      id: '600000000000000001',
      filename: 'cat.png',
      contentType: 'image/png',
      size: 1234,
      url: 'https://cdn.discordapp.com/attachments/1/2/cat.png?ex=1',
      width: 64,
      height: 64,
    };
    const withFiles = {
      ...job,
      attachments: [attachment],
      repliedToAttachments: [{ ...attachment, id: '7' }],
    };
    expect(ReplyJobSchema.parse(withFiles)).toEqual(withFiles);
    expect(ReplyJobSchema.safeParse({ ...job, attachments: Array(11).fill(attachment) }).success).toBe(false);
    expect(ReplyJobSchema.safeParse({ ...job, attachments: [{ ...attachment, size: -1 }] }).success).toBe(
      false,
    );
    expect(ReplyJobSchema.parse(job)).not.toHaveProperty('attachments');
  });

  it('refuses an answered message id that is not a snowflake', () => {
    expect(ReplyJobSchema.safeParse({ ...job, answersMessageId: 'not-an-id' }).success).toBe(false);
  });
});

describe('findAnsweredMessageIdOf', () => {
  it("is the job's own message, or the one a regeneration answers again", () => {
    expect(findAnsweredMessageIdOf(job)).toBe(job.messageId);
    expect(
      findAnsweredMessageIdOf({ ...job, messageId: '200000000000000009', answersMessageId: job.messageId }),
    ).toBe(job.messageId);
  });
});
