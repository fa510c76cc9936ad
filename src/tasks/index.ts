export { TaskMessages } from './messages.js';
export {
  type ApiKeyTestTask,
  ApiKeyTestTaskSchema,
  buildTaskJobId,
  type DeleteReplyTask,
  DeleteReplyTaskSchema,
  type InteractionRef,
  InteractionRefSchema,
  type TaskJob,
  TaskJobSchema,
} from './task-job.js';
export { type TaskOutcome, TaskProcessor, type TaskProcessorDependencies } from './task-processor.js';
export {
  createTaskQueue,
  DefaultTaskQueueOptions,
  enqueueTask,
  TASK_QUEUE_NAME,
  type TaskQueue,
  type TaskQueueOptions,
} from './task-queue.js';
