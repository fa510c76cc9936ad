export { buildPromptRecordsKey } from './keys.js';
export {
  DefaultPromptInspectorRepositoryOptions,
  PromptInspectorRepository,
  type PromptInspectorRepositoryOptions,
} from './prompt-inspector-repository.js';
export {
  type PromptMessage,
  type PromptRecord,
  PromptRecordSchema,
  type PromptTimings,
} from './prompt-record.js';
export {
  type PromptObserver,
  PromptRecorder,
  type PromptRecorderDependencies,
  PromptTrace,
  type PromptTraceStart,
} from './prompt-recorder.js';
