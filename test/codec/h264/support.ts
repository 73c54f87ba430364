/** Helpers shared by the H.264 tests: corpus access units and a collecting sink. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitAnnexB } from '../../../src/codec/annex-b.js';
import type { AccessUnit } from '../../../src/codec/types.js';
import type { ProtocolError } from '../../../src/errors.js';

export const CORPUS_H264 = fileURLToPath(new URL('../../../corpus/h264-640x360-25fps.h264', import.meta.url));

/** Groups Annex B NAL units into access units: each VCL NAL (types 1-5) closes the current unit. */
export function groupAccessUnits(nalus: Uint8Array[]): Uint8Array[][] {
  const aus: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  for (const n of nalus) {
    cur.push(n);
    const t = n[0]! & 0x1f;
    if (t >= 1 && t <= 5) {
      aus.push(cur);
      cur = [];
    }
  }
  if (cur.length) aus.push(cur);
  return aus;
}

export function corpusAccessUnits(): Uint8Array[][] {
  return groupAccessUnits(splitAnnexB(new Uint8Array(readFileSync(CORPUS_H264))));
}

export class Collect {
  units: AccessUnit[] = [];
  errors: ProtocolError[] = [];
  onUnit = (u: AccessUnit): void => {
    this.units.push(u);
  };
  onError = (e: ProtocolError): void => {
    this.errors.push(e);
  };
}

export function hex(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
}
