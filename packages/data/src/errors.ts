/** Why a media file could not be decoded. */
export type MediaErrorCode =
  | 'ffmpeg-not-found'
  | 'file-not-found'
  | 'corrupt-media'
  | 'no-video-stream'
  | 'no-audio-stream'
  | 'no-frames'
  | 'timeout'
  | 'decode-failed'
  /** The browser cannot seek in the source (a server without HTTP Range requests). */
  | 'not-seekable';

/**
 * A media file could not be probed or decoded. `code` says why, `path` names the file.
 *
 * @example
 * try { await decodeAudio('clip.mp4') } catch (e) {
 *   if (e instanceof MediaError && e.code === 'no-audio-stream') console.log('silent clip');
 * }
 */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly code: MediaErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/**
 * A dataset annotation file does not have the expected layout. The message starts with
 * `<file>:<line>:` (line 1-based) so an editor can jump to it.
 */
export class DatasetFormatError extends Error {
  override readonly name = 'DatasetFormatError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}
