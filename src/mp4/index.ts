/** MP4 / QuickTime recording: the sans-IO writer, its file driver, recovery of cut files. */
export { Mp4Writer } from './writer.js';
export type { Mp4WriterOptions, Mp4TrackConfig, Mp4Sample, Mp4Sink, Mp4Chunk, Mp4ChunkKind, Mp4Container, Mp4WriterStats, Mp4FaststartPlan, ParameterSetMode } from './writer.js';
export { Mp4FileWriter } from './file.js';
export type { Mp4FileOptions, Mp4FileResult } from './file.js';
export { completeFragmentsLength } from './recover.js';
