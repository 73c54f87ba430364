export { Timeline } from './timeline.js';
export type { TimelineTrack, TimelineOptions, TimelineInput, TimelineOutput, TimelineStats } from './timeline.js';
