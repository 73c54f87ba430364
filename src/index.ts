/** camstream public API. Everything exported here is documented in README.md. */
export { ProtocolError, isProtocolError } from './errors.js';
export type { ErrorCode, ErrorContext, ProtocolErrorInit } from './errors.js';
export { ByteQueue } from './bytes/byte-queue.js';
export { hexPreview } from './bytes/hex.js';
