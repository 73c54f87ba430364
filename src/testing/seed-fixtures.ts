/**
 * Byte shapes taken from the vendor documents (docs/vendor-documents.md), for the virtual camera.
 *
 * SEED000_SDP is the IP Camera Standard API 5.0.0 §5.5.3.1's DESCRIBE answer. Our copy of the document is a PDF-to-text conversion that lost two
 * line breaks; repaired here, and nothing else changed: `a=x-qt-text-inf:h264` and `m=video 0 RTP/AVP 99`
 * are two lines (no SDP line starts mid-line), and the wrapped `sprop-parameter-sets` is one fmtp line.
 * The quirks stay: `packetization-mode=28` (not a valid mode), trailing `;`, a LIVE555 2010 tool line,
 * `a=cliprect`, `a=framerate:30.000000`, PCMU audio on port 7878, relative controls track1/track2.
 */
export const SEED000_SDP = [
  'v=0',
  'o=- 1371534426547402 1 IN IP4 0.0.0.0',
  's=Session streamed by "nessyMediaServer"',
  'i=h264',
  't=0 0',
  'a=tool:LIVE555 Streaming Media v2010.04.09_dyna_modi_2010.05.05',
  'a=type:broadcast',
  'a=control:*',
  'a=range:npt=0-',
  'a=x-qt-text-nam:Session streamed by "nessyMediaServer"',
  'a=x-qt-text-inf:h264',
  'm=video 0 RTP/AVP 99',
  'c=IN IP4 0.0.0.0',
  'a=rtpmap:99 H264/90000',
  'a=fmtp:99 packetization-mode=28;profile-level-id=4D0029;sprop-parameter-sets=Z00AKZpigPAET8uAtQEBAUAAAPoAADqYOhgAQAAABAAG7y40MACAAAAIAA3eXCgA,aO48gA==',
  'a=control:track1',
  'a=cliprect:0,0,1920,1080',
  'a=framerate:30.000000',
  'm=audio 7878 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000/1',
  'a=control:track2',
  '',
].join('\r\n');
