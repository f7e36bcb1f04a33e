/** How decoded frames are resized. */
export type ResizeMode =
  /** Exactly `width` x `height`, aspect ratio not kept. */
  | 'stretch'
  /** Keep the aspect ratio and scale so the frame just covers `width` x `height` (the short side
   * matches; for a square target this is "resize the short side to N"). Nothing is cropped. */
  | 'shortSide';

export interface VideoDecodeOptions {
  /** Output frame rate (frames are resampled in time by ffmpeg's `fps` filter); native if omitted. */
  fps?: number;
  /** Target width / height; native size if both are omitted. */
  width?: number;
  height?: number;
  /** Default 'stretch'. */
  resize?: ResizeMode;
  /** Seconds from the start of the file. */
  start?: number;
  /** Seconds to decode (all remaining if omitted). */
  duration?: number;
  /** Stop after this many frames. */
  numFrames?: number;
  /** Kill the decoder after this many milliseconds (default 60 000). */
  timeoutMs?: number;
  /** ffmpeg decoding threads (ffmpeg's default if omitted). */
  threads?: number;
  /** Probe result for this file, to skip a second ffprobe call. */
  info?: MediaInfo;
}

/** Decoded frames, rgb24, row-major `[numFrames, height, width, 3]`. */
export interface DecodedVideo {
  frames: Uint8Array;
  numFrames: number;
  fps: number;
  width: number;
  height: number;
}

export interface AudioDecodeOptions {
  /** Output sample rate in Hz; default 48 000 (VATT, docs/numerics.md §1.2). */
  sampleRate?: number;
  start?: number;
  duration?: number;
  timeoutMs?: number;
}

/** Decoded mono audio (channels averaged), float32 in [-1, 1]. */
export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export interface StreamInfo {
  index: number;
  type: 'video' | 'audio' | 'subtitle' | 'data' | 'other';
  codec: string;
  width?: number;
  height?: number;
  /** Average frame rate (video). */
  fps?: number;
  sampleRate?: number;
  channels?: number;
  /** Seconds, when the container says. */
  duration?: number;
}

/** What `probeMedia` learns about a file. */
export interface MediaInfo {
  /** Seconds (container duration, else the longest stream). */
  duration: number;
  format: string;
  streams: StreamInfo[];
  hasVideo: boolean;
  hasAudio: boolean;
}

/**
 * One media back end (ffmpeg in Node, `<video>` + WebAudio in a browser). The loader only talks to
 * this interface. `source` is a file path in Node and a URL in the browser.
 */
export interface MediaDecoder {
  probeMedia(source: string, timeoutMs?: number): Promise<MediaInfo>;
  decodeVideo(source: string, options?: VideoDecodeOptions): Promise<DecodedVideo>;
  decodeAudio(source: string, options?: AudioDecodeOptions): Promise<Float32Array>;
  /** Frames and audio of one source from the same start time (one ffmpeg run in Node). */
  decodeAudioVideo(
    source: string,
    start: number | undefined,
    video: VideoDecodeOptions,
    audio: AudioDecodeOptions,
  ): Promise<{ video: DecodedVideo; audio: Float32Array }>;
}

/** What `decodeClip` decodes in its single ffmpeg run. */
export interface ClipDecodeOptions {
  /** Frames at `fps`, short side scaled to `shortSide` (native size if omitted). */
  video?: {
    fps: number;
    shortSide?: number;
    /** `false`: a source whose short side is below `shortSide` keeps its size (default true: scaled up). */
    upscale?: boolean;
    /** Receives each rgb24 frame as it is decoded; frames are then not collected. */
    onFrame?: (rgb: Uint8Array, width: number, height: number) => void;
  };
  /** Mono float32 audio at `sampleRate` Hz. */
  audio?: { sampleRate: number };
  /** Seconds from the start of the file. */
  start?: number;
  /** Seconds to decode (all remaining if omitted). */
  duration?: number;
  /** Kill ffmpeg after this many milliseconds (default 60 000). */
  timeoutMs?: number;
  /** ffmpeg decoding threads (default 1). */
  threads?: number;
}

/** A clip decoded by `decodeClip`. */
export interface DecodedClip {
  /** Frames, rgb24 `[numFrames, height, width, 3]` (`frames` is empty when `onFrame` took them). */
  video?: DecodedVideo;
  audio?: Float32Array;
  sampleRate?: number;
  /** The container's duration as ffmpeg printed it (seconds), when it did. */
  sourceDuration?: number;
}
