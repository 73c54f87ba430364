/**
 * Finding what a camera or recorder stored, over the two documents' HTTP APIs:
 *
 *   WV-V series HTTP API V2.40 §4.11.5 mediaFileFind.cgi   factory.create -> findFile -> findNextFile
 *                                                          (pages of at most 100) -> close -> destroy
 *   IP Camera Standard API 5.0.0 §5.1.5 storagemanagement.cgi   action=list, action=download&filename=
 *
 * The finder is a handle on the device: it is closed and destroyed on every path, including errors
 * and an abort, and paging stops at `maxResults` (a device that answers full pages forever cannot
 * keep the client looping). The text formats are parsed in http/text/recordings.ts.
 */
import { ProtocolError } from '../errors.js';
import { parseCameraError } from '../http/text/camera-text.js';
import { findFileParams, parseFindNextFile, parseFinderCreate, parseStorageList, type FindFileQuery, type MediaFile, type StoredFile } from '../http/text/recordings.js';
import type { CameraHttp } from './camera-http.js';
import { expectOk, throwIfCameraError, type HttpResponse } from './http-client.js';

export interface FindRecordingsOptions extends FindFileQuery {
  /** findNextFile `count` (1-100, default 100: the document's maximum). */
  pageSize?: number;
  /** Stop after this many files (default 10000); `truncated` then says so. */
  maxResults?: number;
}

export interface RecordingSearch {
  files: MediaFile[];
  /** True when `maxResults` stopped the paging before the device said it was done. */
  truncated: boolean;
  /** findNextFile requests made. */
  pages: number;
}

const FIND = '/cgi-bin/mediaFileFind.cgi';

/** WV-V series HTTP API V2.40 §4.11.5: every file matching `q`, the finder released whatever happens. */
export async function findRecordings(cam: CameraHttp, q: FindRecordingsOptions): Promise<RecordingSearch> {
  const pageSize = q.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new ProtocolError('INVALID_ARGUMENT', `pageSize ${pageSize}: findNextFile takes 1 to 100`);
  const maxResults = q.maxResults ?? 10_000;
  const conditions = findFileParams(q); // validates before a handle exists
  const id = parseFinderCreate((await cam.cgi(`${FIND}?action=factory.create`)).text);
  const result: RecordingSearch = { files: [], truncated: false, pages: 0 };
  let failure: unknown;
  try {
    // "If files exist, return OK, else return Error": a bare Error is "nothing found"; an Error with
    // an ErrorID (bad parameter, no right) is a failure.
    const answer = await cam.request(`${FIND}?action=findFile&object=${id}${conditions}`).then(expectOk);
    const text = await answer.text(4096);
    const err = parseCameraError(text);
    if (err !== undefined && err.errorId !== undefined) throwIfCameraError(text, { url: answer.url });
    if (err !== undefined) return result;
    for (;;) {
      if (result.files.length >= maxResults) {
        result.truncated = true;
        break;
      }
      result.pages++;
      const page = parseFindNextFile((await cam.cgi(`${FIND}?action=findNextFile&object=${id}&count=${pageSize}`)).text);
      for (const f of page.items) {
        if (result.files.length >= maxResults) {
          result.truncated = true;
          break;
        }
        result.files.push(f);
      }
      if (result.truncated || page.found === 0 || page.items.length === 0 || page.found < pageSize) break;
    }
    return result;
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    // Both, in the document's order, even when one fails; their failure is reported only when
    // nothing failed before. (With an aborted signal these requests cannot go out either.)
    let cleanup: unknown;
    for (const action of ['close', 'destroy']) {
      try {
        await cam.cgi(`${FIND}?action=${action}&object=${id}`);
      } catch (e) {
        cleanup ??= e;
      }
    }
    // eslint-disable-next-line no-unsafe-finally
    if (cleanup !== undefined && failure === undefined) throw cleanup;
  }
}

const STORAGE = '/cgi-bin/admin/storagemanagement.cgi';

/** IP Camera Standard API 5.0.0 §5.1.5 `action=list`: the files in the camera's local storage. */
export async function listStoredFiles(cam: CameraHttp): Promise<StoredFile[]> {
  const a = await cam.cgi(`${STORAGE}?action=list`);
  return parseStorageList(a.text);
}

/**
 * IP Camera Standard API 5.0.0 §5.1.5 `action=download&filename=`: the file's bytes as they stream
 * (`response.body`; close it when done). A `# Error:` answer is `HTTP_CAMERA_ERROR`.
 */
export async function downloadStoredFile(cam: CameraHttp, name: string): Promise<HttpResponse> {
  const res = await expectOk(await cam.request(`${STORAGE}?action=download&filename=${encodeURIComponent(name)}`));
  if (/^text\//i.test(res.headers.get('content-type') ?? '')) {
    const text = await res.text(4096);
    throwIfCameraError(text, { url: res.url });
    throw new ProtocolError('HTTP_BAD_RESPONSE', 'download answered with text, not the file', { context: { url: res.url, body: text.slice(0, 80) } });
  }
  return res;
}
