/**
 * Fault tier — a worker SIGKILLed while it streams a reply. The job comes back through stall detection; the next
 * attempt waits out the dead attempt's lease on the stream's messages, answers whole and edits the message the
 * dead worker left half-written, so exactly one complete reply remains (the ledger's ids and the channel's
 * messages one to one).
 *
 * Runs once `AiService.stream` exists (issue 19, the stream-ai branch); until then the worker answers whole and
 * this is skipped.
 */
import { describe, expect, it } from 'vitest';
import { AiService } from '../../src/ai/index.js';
import { buildReplyJobId } from '../../src/queue/index.js';
import { FaultScene } from './support/fault-scene.js';

describe.skipIf(!('stream' in AiService.prototype))('worker SIGKILL mid-stream', () => {
  it('leaves exactly one complete reply after recovery', async () => {
    await using scene = await FaultScene.start({
      workers: 1,
      channels: 1,
      users: 2,
      env: { STREAM_REPLIES: 'true', STREAM_EDIT_INTERVAL_MS: '300' },
      // The stub's echo (~100 characters, 3 words a chunk) streams for several seconds.
      aiStub: { behaviour: { chunkDelayMs: 1000 } },
    });
    const [worker] = scene.processes('worker');
    const channelId = scene.channelIds[0]!;
    const asked = scene.say(scene.users[0]!, channelId, 'streamed-question');
    const jobId = buildReplyJobId(asked.messageId, asked.personalityId);

    // The first message is up, the answer is not complete yet: kill the worker mid-stream.
    await scene.waitFor('the first streamed message', () => scene.answers().length === 1);
    await scene.waitFor('its id recorded', async () => (await scene.fetchPostedIds(asked)).length === 1);
    const partial = scene.answers()[0]!;
    expect(scene.repliesTo(asked)).toHaveLength(0);
    expect(await scene.cluster.stop(worker!, 'SIGKILL')).toBe('SIGKILL');
    const record = await scene.ledger.fetch(asked.authorId, jobId);
    expect({ decided: record.decision !== null, posted: [...record.posted.values()] }).toEqual({
      decided: false,
      posted: [partial.id],
    });

    await scene.spawn('worker');
    await scene.waitUntilSettled(60_000);
    expect(await scene.expectExactlyOnce()).toEqual({ replies: 1, notices: 0, limitNotices: 0 });
    // The half-written message itself became the complete reply.
    const [answer] = scene.answers();
    expect(answer?.id).toBe(partial.id);
    expect(answer?.content.length).toBeGreaterThan(partial.content.length);
    expect(scene.repliesTo(asked)).toEqual([answer]);
  });
});
