export {
  ChannelWindowRepository,
  type ChannelWindowRepositoryOptions,
  DefaultChannelWindowRepositoryOptions,
  type RecentLinesQuery,
} from './channel-window-repository.js';
export { type WindowLine, WindowLineSchema } from './window-line.js';
