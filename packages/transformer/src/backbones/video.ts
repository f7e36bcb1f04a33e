import { SpatioTemporalEmbeddings } from '../embeddings/positions.js';
import { patchValues, type VideoBackboneConfig } from '../presets.js';
import { PatchTransformer, type BackboneOptions } from './patch-transformer.js';

/**
 * The ViT-3D video backbone (docs/numerics.md §1.1, §2.1, §2.5, §4): voxel patches
 * `[B, N, t*h*w*3]` (from `@vatt/tokenizers`' VideoTokenizer, (t, h, w, c) order) -> `voxel_to_patch`
 * -> `pos_embedding_lookup` (factorised t/h/w tables, spline-resampled for a new grid) -> DropToken
 * (training) -> `agg_embedding` -> `tx` -> pooled [AGG]. Weight names follow the official
 * checkpoint (section 10.2): `voxel_to_patch/{kernel,bias}`,
 * `pos_embedding_lookup/temporal_position_embeddings/embeddings`, `tx/layers/0/mha/q/kernel`, ...
 *
 * @example
 * const video = new VideoTransformer(videoConfig(TINY, TINY_VIDEO_INPUT));
 * const { pooled } = video.apply(patches, { grid: [2, 4, 4] }); // patches [B, 32, 768] -> pooled [B, 64]
 */
export class VideoTransformer extends PatchTransformer {
  override readonly config: VideoBackboneConfig;

  constructor(config: VideoBackboneConfig, opts: BackboneOptions = {}) {
    const buckets = config.input.buckets;
    super(
      opts.name ?? 'video',
      config,
      {
        projectionName: 'voxel_to_patch',
        patchValues: patchValues(config),
        positions: (d) =>
          new SpatioTemporalEmbeddings('pos_embedding_lookup', d, [buckets[0], buckets[1], buckets[2]], { dropout: config.dropout, lnEps: config.lnEps }),
        dropTokenKeepRate: config.dropTokenKeepRate,
        dropTokenPerSample: config.dropTokenPerSample,
        inputLabel: 'video patches',
      },
      opts,
    );
    this.config = config;
  }
}
