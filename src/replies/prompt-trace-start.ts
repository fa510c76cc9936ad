import type { PromptTraceStart } from '../inspector/index.js';
import type { ReplyJob } from '../queue/reply-job.js';
import type { Personality } from '../state/index.js';

/** What a reply's prompt record starts from. */
export function buildTraceStart(job: ReplyJob, jobId: string, personality: Personality): PromptTraceStart {
  return {
    replyId: jobId,
    userId: job.authorId,
    channelId: job.channelId,
    guildId: job.guildId,
    personalityId: personality.id,
    personalityName: personality.name,
    model: personality.model,
    queuedAt: job.enqueuedAt,
  };
}
