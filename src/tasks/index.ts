export { TaskMessages } from './messages.js';
export {
  type ApiKeyTestTask,
  ApiKeyTestTaskSchema,
  buildForgetChannelsTasks,
  buildTaskJobId,
  type DeleteReplyTask,
  DeleteReplyTaskSchema,
  type ForgetChannelsTask,
  ForgetChannelsTaskSchema,
  type InteractionRef,
  InteractionRefSchema,
  MAX_CHANNELS_PER_TASK,
  type PostGreetingTask,
  PostGreetingTaskSchema,
  type SummarizeMemoryTask,
  SummarizeMemoryTaskSchema,
  type TaskJob,
  TaskJobSchema,
} from './task-job.js';
export {
  type ChannelWebhookForgetter,
  type TaskOutcome,
  TaskProcessor,
  type TaskProcessorDependencies,
} from './task-processor.js';
export {
  createTaskQueue,
  DefaultTaskQueueOptions,
  enqueueTask,
  TASK_QUEUE_NAME,
  type TaskQueue,
  type TaskQueueOptions,
} from './task-queue.js';
