/** `camstream/testing`: virtual cameras on loopback (RTSP and HTTP) and the DH/DHAV muxers. */
export { VirtualCamera, NO_QUIRKS } from './virtual-camera.js';
export type { VirtualCameraOptions, VirtualCameraStats, RtspQuirks, RtspFaults } from './virtual-camera.js';
export { VirtualHttpCamera } from './virtual-camera-http.js';
export type { VirtualHttpCameraOptions, VirtualHttpCameraStats } from './virtual-camera-http.js';
export { DigestServer } from './digest-server.js';
export type { AuthMode, DigestServerOptions } from './digest-server.js';
export { dhPacket, dhExtend, muxDh, muxDhav, dhavPackets, dhavExt, dhavType, packDhavDate } from './dh-muxer.js';
export type { MuxFrame, DhavMuxOptions } from './dh-muxer.js';
export { PlaybackCamera } from './virtual-camera-playback.js';
export type { PlaybackCameraOptions, PlaybackCameraStats, BackchannelPacket, BackchannelCodec } from './virtual-camera-playback.js';
