import { describe, expect, it } from 'vitest';
import {
  buildForgetChannelsTasks,
  buildTaskJobId,
  MAX_CHANNELS_PER_TASK,
  type TaskJob,
  TaskJobSchema,
} from '../../../src/tasks/task-job.js';

const interaction = {
  id: '900000000000000001',
  applicationId: '800000000000000001',
  token: 'aW50ZXJhY3Rpb246token',
};

describe('TaskJobSchema', () => {
  describe('when a task is well formed', () => {
    it.each<[string, TaskJob]>([
      [
        'an API key test',
        {
          kind: 'apikey-test',
          version: 1,
          correlationId: 'c1',
          userId: '1',
          provider: 'default',
          interaction,
        },
      ],
      [
        'a reply deletion',
        {
          kind: 'delete-reply',
          version: 1,
          correlationId: 'c2',
          userId: '1',
          channelId: '2',
          messageIds: ['3'],
          interaction,
        },
      ],
      [
        'forgetting deleted channels',
        {
          kind: 'forget-channels',
          version: 1,
          correlationId: 'c3',
          sourceId: '4',
          part: 0,
          channelIds: ['4', '5'],
        },
      ],
      [
        'a memory summarization',
        {
          kind: 'summarize-memory',
          version: 1,
          correlationId: 'c4',
          userId: '1',
          personalityId: 'alicepersona',
          suffix: 'c:2:alicepersona',
          claimToken: '7d3f1c52-4a4e-4b7e-9a39-2f6f1c0b9a11',
        },
      ],
    ])('accepts %s', (_label, task) => {
      expect(TaskJobSchema.parse(task)).toEqual(task);
    });
  });

  describe('when a task is malformed', () => {
    it.each([
      ['an unknown kind', { kind: 'explode', version: 1 }],
      [
        'a deletion of nothing',
        {
          kind: 'delete-reply',
          version: 1,
          correlationId: 'c',
          userId: '1',
          channelId: '2',
          messageIds: [],
          interaction,
        },
      ],
      [
        'a missing token',
        {
          kind: 'apikey-test',
          version: 1,
          correlationId: 'c',
          userId: '1',
          provider: 'p',
          interaction: { id: '1', applicationId: '2' },
        },
      ],
      [
        'forgetting no channel',
        { kind: 'forget-channels', version: 1, correlationId: 'c', sourceId: '4', part: 0, channelIds: [] },
      ],
      [
        'a non-snowflake user',
        { kind: 'apikey-test', version: 1, correlationId: 'c', userId: 'bob', provider: 'p', interaction },
      ],
    ])('rejects %s', (_label, task) => {
      expect(TaskJobSchema.safeParse(task).success).toBe(false);
    });

    it('never echoes the token in its errors', () => {
      const result = TaskJobSchema.safeParse({
        kind: 'apikey-test',
        version: 1,
        correlationId: 'c',
        userId: 'not-a-user',
        provider: 'p',
        interaction: { ...interaction, id: 'bad' },
      });
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues.map((issue) => issue.message))).not.toContain(
        interaction.token,
      );
    });
  });
});

describe('buildTaskJobId', () => {
  it('names a task after its kind and interaction, never its token', () => {
    const id = buildTaskJobId({
      kind: 'apikey-test',
      version: 1,
      correlationId: 'c',
      userId: '1',
      provider: 'p',
      interaction,
    });
    expect(id).toBe('apikey-test-900000000000000001');
  });

  it('names a summarization after its claim, so each claim gets a job of its own', () => {
    const id = buildTaskJobId({
      kind: 'summarize-memory',
      version: 1,
      correlationId: 'c',
      userId: '1',
      personalityId: 'alicepersona',
      suffix: 'p:alicepersona',
      claimToken: '7d3f1c52-4a4e-4b7e-9a39-2f6f1c0b9a11',
    });
    expect(id).toBe('summarize-memory-7d3f1c52-4a4e-4b7e-9a39-2f6f1c0b9a11');
  });
});

describe('buildForgetChannelsTasks', () => {
  it('splits a guild’s channels into tasks of at most MAX_CHANNELS_PER_TASK, the same for any order', () => {
    const channelIds = Array.from({ length: MAX_CHANNELS_PER_TASK + 5 }, (_, index) => String(1000 + index));
    const tasks = buildForgetChannelsTasks('77', [...channelIds].reverse(), 'c');
    expect(tasks.map((task) => [task.part, task.channelIds.length])).toEqual([
      [0, MAX_CHANNELS_PER_TASK],
      [1, 5],
    ]);
    expect(tasks.flatMap((task) => task.channelIds)).toEqual(channelIds);
    expect(tasks.map(buildTaskJobId)).toEqual(['forget-channels-77-0', 'forget-channels-77-1']);
    for (const task of tasks) expect(TaskJobSchema.parse(task)).toEqual(task);
  });

  it('builds no task when there is no channel', () => {
    expect(buildForgetChannelsTasks('77', [], 'c')).toEqual([]);
  });
});
