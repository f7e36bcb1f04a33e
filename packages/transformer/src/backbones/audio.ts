import { SpectroTemporalEmbeddings, TemporalEmbeddings } from '../embeddings/positions.js';
import { isSpectrogramInput, patchValues, type AudioBackboneConfig } from '../presets.js';
import { PatchTransformer, type BackboneOptions } from './patch-transformer.js';

/**
 * The audio backbone (docs/numerics.md §1.2, §2.2, §2.5, §4).
 *
 * - Waveform (WaT, the released models): patches `[B, N, 128]` -> `wave_to_patch` -> 1-D
 *   `pos_embedding_lookup` (1200 buckets, spline-resampled for another length) -> DropToken
 *   (training) -> `agg_embedding` -> `tx`. The official Conv1D kernel `[128, 1, d]` maps to
 *   `wave_to_patch/kernel` `[128, d]` with `fromConvKernel`.
 * - Spectrogram (SpT ablation): 2-D patches `[B, t*s, 16*5]` with grid `[t, s]` ->
 *   `spectrum_to_patch` -> factorised time/spectral positions -> `agg_embedding` -> `tx`. No DropToken
 *   and no attention/MLP biases by default, as the official SpT configs.
 *
 * @example
 * const audio = new AudioTransformer(audioConfig(TINY, TINY_AUDIO_INPUT));
 * const { pooled } = audio.apply(patches); // patches [B, 32, 128] -> pooled [B, 64]
 */
export class AudioTransformer extends PatchTransformer {
  override readonly config: AudioBackboneConfig;

  constructor(config: AudioBackboneConfig, opts: BackboneOptions = {}) {
    const common = { dropout: config.dropout, lnEps: config.lnEps };
    const spectrogram = isSpectrogramInput(config);
    const input = config.input;
    super(
      opts.name ?? 'audio',
      config,
      {
        projectionName: spectrogram ? 'spectrum_to_patch' : 'wave_to_patch',
        patchValues: patchValues(config),
        positions: (d) =>
          typeof input.buckets === 'number'
            ? new TemporalEmbeddings('pos_embedding_lookup', d, input.buckets, common)
            : new SpectroTemporalEmbeddings('pos_embedding_lookup', d, [input.buckets[0], input.buckets[1]], common),
        dropTokenKeepRate: config.dropTokenKeepRate,
        dropTokenPerSample: config.dropTokenPerSample,
        inputLabel: spectrogram ? 'spectrogram patches' : 'waveform patches',
      },
      opts,
    );
    this.config = config;
  }

  /** A waveform has a 1-D grid: any length N works (the 1200-row table is resampled to N). */
  protected override resolveGrid(n: number, grid: readonly number[] | undefined): number[] {
    if (!grid && this.posEmbeddingLookup.buckets.length === 1) return [n];
    return super.resolveGrid(n, grid);
  }
}
