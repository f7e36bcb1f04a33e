export const VERSION = '0.1.0';

export { MediaError, DatasetFormatError } from './errors.js';
export type { MediaErrorCode } from './errors.js';

// Media decoding: ffmpeg in Node, <video>/WebAudio in a browser, behind one MediaDecoder interface.
export type { ResizeMode, VideoDecodeOptions, DecodedVideo, AudioDecodeOptions, DecodedAudio, StreamInfo, MediaInfo, MediaDecoder } from './media/types.js';
export { DEFAULT_SAMPLE_RATE, outputFrameSize } from './media/sizes.js';
export { probeMedia, decodeVideo, decodeAudio, decodeAudioVideo, nodeMediaDecoder } from './media/ffmpeg.js';
export { readWav, writeWav } from './media/wav.js';
export type { WavAudio } from './media/wav.js';
export { browserMediaDecoder } from './media/browser.js';

// Dataset readers: every one yields the common Sample.
export type { Sample, TimedCaption, MediaPathFn } from './datasets/sample.js';
export { labelIndex } from './datasets/sample.js';
export { readHowTo100M, readCaptionJson, readCaptionCsv } from './datasets/howto100m.js';
export type { HowTo100MOptions } from './datasets/howto100m.js';
export { readMsrVtt, readMsrVtt1kA } from './datasets/msrvtt.js';
export type { MsrVttOptions } from './datasets/msrvtt.js';
export { readYouCook2 } from './datasets/youcook2.js';
export type { YouCook2Options } from './datasets/youcook2.js';
export { readKinetics, kineticsClipId } from './datasets/kinetics.js';
export type { KineticsOptions } from './datasets/kinetics.js';
export { readEsc50, leaveOneFoldOut } from './datasets/esc50.js';
export { readCsv, type CsvRow, type CsvOptions } from './datasets/files.js';
export { readAudioSetSegments, readAudioSetClassIndex } from './datasets/audioset.js';
export type { AudioSetOptions, AudioSetClass } from './datasets/audioset.js';
export { readUcf101Split, readHmdb51Split } from './datasets/action-splits.js';
export { readManifest } from './datasets/manifest.js';
export { openDataset, type OpenedDataset, type OpenDatasetOptions, type DatasetKind } from './datasets/open.js';

// Clip sampling, augmentation.
export { clipDuration, randomWindow, narrationWindow, uniformWindows, nearestNarrations, threeCrops, centerCrop } from './sampling/clips.js';
export type { TimeWindow, CropBox } from './sampling/clips.js';
export { cropResize, inceptionCropBox, vggCropBox, adjustColors, colorJitter } from './augment/video.js';
export type { FrameShape, ColorJitterOptions, ColorAdjustment } from './augment/video.js';
export { addGaussianNoise } from './augment/audio.js';

// Loading and batching: decode + augment in worker_threads, bounded prefetch, bad samples skipped.
export { loadClip, resolveClipConfig } from './loader/clip.js';
export type { ClipConfig, VideoClipConfig, AudioClipConfig, LoadedClip } from './loader/clip.js';
export { BatchLoader, collate } from './loader/batches.js';
export type { Batch, BatchLoaderOptions, LoaderStats, SkippedSample } from './loader/batches.js';
export { workerEntry } from './worker-entry.js';

// TensorFlow file formats: CRC32C and its masked form (TFRecord framing, tensor-bundle checkpoints).
export { crc32c, maskCrc, unmaskCrc, maskedCrc32c } from './formats/crc32c.js';

// The embedded dataset (generated in process; the main job's data).
export * from './embedded/index.js';

// Prepared shards: decode once (prepareShards: WebDataset-style tar or DMVR-layout TFRecord), stream them back
// (ShardSource, accepted by BatchLoader), resume a loader exactly (LoaderCursor); one ffmpeg run per clip (decodeClip).
export { decodeClip } from './media/ffmpeg.js';
export type { ClipDecodeOptions, DecodedClip } from './media/types.js';
export { loadClipProbed, loadStoredClip } from './loader/clip.js';
export type { SampleProbes } from './loader/clip.js';
export type { LoaderCursor, SampleCursor, ShardCursor } from './loader/order.js';
export { prepareShards } from './shards/prepare.js';
export type { PrepareOptions, PrepareProgress } from './shards/prepare.js';
export { decodeStoredClip, resolveStoreSettings } from './shards/decode.js';
export type { StoreSettings } from './shards/decode.js';
export { ShardSource, isShardFolder, SHARD_INDEX_FILE } from './shards/source.js';
export type { ShardFormat, ShardIndex, ShardEntry, SkippedRecord } from './shards/source.js';
export { expandBraces } from './shards/braces.js';
export { storedFrames, storedSample, encodeJpegFrame } from './shards/stored.js';
export type { FrameEncoding, StoredClip, StoredClipMeta, StoredVideoMeta, StoredAudioMeta } from './shards/stored.js';
export { TarShardWriter, readTarShard, splitTarName } from './shards/tar.js';
export { frameTfRecord, readTfRecords, encodeSequenceExample, decodeSequenceExample, TfRecordError } from './shards/tfrecord.js';
