/** The source the clips are cut from, for bench reports. */
export declare const CLIP_SOURCE: string;
/** Writes `count` real H.264 + AAC clips (clip0000.mp4, ...) into `dir` with one ffmpeg run; returns their paths in order. */
export declare function makeClips(dir: string, count: number, options?: { size?: number; seconds?: number; fps?: number }): string[];
