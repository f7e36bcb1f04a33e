/**
 * `@vatt/data/browser`: what of @vatt/data runs in a browser, with no Node imports — the media
 * decoder (`<video>` + canvas, WebAudio; same interface and outputs as the ffmpeg back end) and the
 * embedded dataset.
 *
 * @example
 * import { browserMediaDecoder } from '@vatt/data/browser';
 * const { frames } = await browserMediaDecoder.decodeVideo(URL.createObjectURL(file), { fps: 10, width: 224, height: 224, numFrames: 32 });
 */
export { browserMediaDecoder } from './media/browser.js';
export { MediaError } from './errors.js';
export type { MediaDecoder, MediaInfo, DecodedVideo, VideoDecodeOptions, AudioDecodeOptions } from './media/types.js';
export * from './embedded/index.js';
