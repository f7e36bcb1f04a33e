/**
 * The fine-and-coarse (FAC) projection head (docs/numerics.md §5; paper section 3.3).
 *
 * `code` style (default, the official `FACHead`):
 *   video -> S_va: vid_to_hid Dense(d_va, no bias) -> hid_to_va[ pre_bn BN -> ReLU -> dense Dense(d_va, no bias) -> bn BN ]
 *   S_va video -> S_vt: va_to_vat[ ReLU -> dense Dense(d_vt, no bias) -> bn BN ]
 *   audio -> S_va: aud_to_va Dense(d_va, bias), no BN;  text -> S_vt: txt_to_vat Dense(d_vt, bias), no BN.
 * `paper` style: every projection is linear followed by BatchNorm, and no ReLU before g_v->vt
 *   (the paper's "linear projection ... BN after each linear layer").
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm, Dense, Module, Sequential } from '@vatt/transformer';

export interface FacHeadConfig {
  videoDim: number;
  audioDim: number;
  textDim: number;
  /** Video-audio space size (512). */
  dVa: number;
  /** Video-text space size (256). */
  dVt: number;
  style: 'code' | 'paper';
  bnMomentum: number;
  bnEps: number;
}

export const DEFAULT_FAC_HEAD: Omit<FacHeadConfig, 'videoDim' | 'audioDim' | 'textDim'> = {
  dVa: 512,
  dVt: 256,
  style: 'code',
  bnMomentum: 0.9,
  bnEps: 1e-5,
};

/** The FAC head: video -> S_va -> S_vt, audio -> S_va, text -> S_vt (see the file comment for both styles). */
export class FacHead extends Module {
  private readonly vidToHid: Dense;
  private readonly hidToVa: Sequential;
  private readonly vaToVat: Sequential;
  private readonly audToVa: Module & { apply(x: tf.Tensor): tf.Tensor };
  private readonly txtToVat: Module & { apply(x: tf.Tensor): tf.Tensor };

  constructor(
    readonly config: FacHeadConfig,
    name = 'head',
  ) {
    super(name);
    const c = config;
    const bn = (n: string, d: number) => new BatchNorm(n, d, { momentum: c.bnMomentum, eps: c.bnEps });
    this.vidToHid = this.child(new Dense('vid_to_hid', c.videoDim, c.dVa, { useBias: false }));
    this.hidToVa = this.child(
      new Sequential('hid_to_va', [bn('pre_bn', c.dVa), 'relu', new Dense('dense', c.dVa, c.dVa, { useBias: false }), bn('bn', c.dVa)]),
    );
    if (c.style === 'code') {
      this.vaToVat = this.child(new Sequential('va_to_vat', ['relu', new Dense('dense', c.dVa, c.dVt, { useBias: false }), bn('bn', c.dVt)]));
      this.audToVa = this.child(new Dense('aud_to_va', c.audioDim, c.dVa));
      this.txtToVat = this.child(new Dense('txt_to_vat', c.textDim, c.dVt));
    } else if (c.style === 'paper') {
      this.vaToVat = this.child(new Sequential('va_to_vat', [new Dense('dense', c.dVa, c.dVt, { useBias: false }), bn('bn', c.dVt)]));
      this.audToVa = this.child(new Sequential('aud_to_va', [new Dense('dense', c.audioDim, c.dVa, { useBias: false }), bn('bn', c.dVa)]));
      this.txtToVat = this.child(new Sequential('txt_to_vat', [new Dense('dense', c.textDim, c.dVt, { useBias: false }), bn('bn', c.dVt)]));
    } else {
      throw new Error(`FacHead: style must be "code" or "paper", got "${c.style}"`);
    }
  }

  /** Video [AGG] features [B, videoDim] -> { va: [B, dVa], vt: [B, dVt] } (vt computed from va, paper eq. 3; docs/numerics.md §5). */
  video(features: tf.Tensor): { va: tf.Tensor; vt: tf.Tensor } {
    return tf.tidy(() => {
      const va = this.hidToVa.apply(this.vidToHid.apply(features));
      return { va, vt: this.vaToVat.apply(va) };
    });
  }

  /**
   * S_va [B, dVa] -> S_vt [B, dVt] through the video branch's va_to_vat (what `video` does to its S_va). On
   * audio S_va embeddings it gives the FAC route from audio to S_vt, for text-to-audio search (VATT never
   * trains it against text: no audio-text loss term; docs/numerics.md §5).
   */
  vaToVt(va: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.vaToVat.apply(va));
  }

  /**
   * The projection modules by role, for graph exporters that emit the same data flow as `video`, `audio`,
   * `text` and `vaToVt` (the ONNX rule in onnx/export-models.ts).
   */
  projections(): Readonly<{ vidToHid: Module; hidToVa: Module; vaToVt: Module; audToVa: Module; txtToVt: Module }> {
    return { vidToHid: this.vidToHid, hidToVa: this.hidToVa, vaToVt: this.vaToVat, audToVa: this.audToVa, txtToVt: this.txtToVat };
  }

  /** Audio [AGG] features [B, audioDim] -> S_va [B, dVa]. */
  audio(features: tf.Tensor): tf.Tensor {
    return this.audToVa.apply(features);
  }

  /** Text [AGG] features [B, textDim] -> S_vt [B, dVt]. */
  text(features: tf.Tensor): tf.Tensor {
    return this.txtToVat.apply(features);
  }
}
