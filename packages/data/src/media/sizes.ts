import type { VideoDecodeOptions } from './types.js';

/** VATT's reference audio rate (docs/numerics.md §1.2: 48 kHz). */
export const DEFAULT_SAMPLE_RATE = 48_000;

/** Output frame size for the requested resize, from the source size. */
export function outputFrameSize(
  sourceWidth: number,
  sourceHeight: number,
  options: Pick<VideoDecodeOptions, 'width' | 'height' | 'resize'>,
): { width: number; height: number } {
  const { width, height, resize = 'stretch' } = options;
  if (width === undefined && height === undefined) return { width: sourceWidth, height: sourceHeight };
  if (width === undefined || height === undefined || width < 1 || height < 1) {
    throw new Error(`decodeVideo: expected both width and height (positive integers), got width=${width}, height=${height}`);
  }
  if (resize === 'stretch') return { width, height };
  // 'shortSide': scale by the larger factor so the frame covers width x height.
  const scale = Math.max(width / sourceWidth, height / sourceHeight);
  return {
    width: Math.max(width, Math.round(sourceWidth * scale)),
    height: Math.max(height, Math.round(sourceHeight * scale)),
  };
}
