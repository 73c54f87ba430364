/** Moved to rtsp/session/depacketizers.ts (the session owns the per-track receive path); kept for imports. */
export { codecOf, createDepacketizer, type DepacketizerSetup, type TrackLike } from '../rtsp/session/depacketizers.js';
