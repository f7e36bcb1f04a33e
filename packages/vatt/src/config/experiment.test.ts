import { countParameters } from '@vatt/transformer';
import { applyOverrides, checkGeometry, configDifferences, resolveModel, validateExperiment } from './experiment.js';
import { getExperiment, getPreset, PRESET_NAMES } from './presets.js';

describe('experiment configs', () => {
  test('every preset validates, and its model takes the input its preprocessing makes', () => {
    expect(PRESET_NAMES).toEqual(['tiny', 'tiny-ma', 'tiny-spt', 'bbs', 'bbs-spt', 'mbs', 'lbs', 'ma-medium']);
    for (const name of PRESET_NAMES) {
      const { model, preprocessing } = getPreset(name);
      expect(() => checkGeometry(model, preprocessing)).not.toThrow();
    }
    // The derived geometry: 32x224x224 / 4x16x16 = 8x14x14 tokens; 153,600 / 128 = 1200; SpT 9 x 16; tiny 2x4x4, 32, 3 x 8.
    expect(getPreset('bbs').model.video.input.buckets).toEqual([8, 14, 14]);
    expect(getPreset('bbs').model.audio.input.buckets).toBe(1200);
    expect(getPreset('bbs-spt').model.audio.input.buckets).toEqual([9, 16]);
    expect(getPreset('tiny').model.video.input.buckets).toEqual([2, 4, 4]);
    expect(getPreset('tiny-spt').model.audio.input.buckets).toEqual([3, 8]);
    expect(getPreset('bbs').model.text.input).toEqual({ vocabSize: 65536, embeddingDim: 300, maxTokens: 16 });
    // Sizes by name: the paper's Table 7 towers.
    expect((countParameters(getPreset('bbs').model.video).total / 1e6).toFixed(2)).toBe('87.45');
    expect((countParameters(getPreset('lbs').model.video).total / 1e6).toFixed(2)).toBe('305.50');
    expect(getPreset('ma-medium').model.variant).toBe('modality-agnostic');
  });

  test('a config changes by dotted --set overrides (JSON values) and resolves to the model they describe', () => {
    const c = applyOverrides(getExperiment('tiny'), [
      'preprocessing.video.height=64',
      'preprocessing.video.patchSize=[2,16,16]',
      'preprocessing.audio.sampleRate=8000',
      'model.video.size=small',
      'model.video.numLayers=1',
      'model.audio.dropTokenKeepRate=null',
      'schedule.kind=paper',
    ]);
    const m = resolveModel(c);
    expect(m.video.input).toEqual({ frames: 8, height: 64, width: 32, patchSize: [2, 16, 16], buckets: [4, 4, 2], channels: 3 });
    expect([m.video.numLayers, m.video.dModel, m.video.numHeads]).toEqual([1, 512, 8]); // small, one layer
    expect(m.audio.dropTokenKeepRate).toBeNull();
    expect(c.schedule.kind).toBe('paper');
    expect(c.preprocessing.audio.sampleRate).toBe(8000);
  });

  test('bad configs are refused with every bad field named', () => {
    const tiny = getExperiment('tiny');
    const bad = {
      ...tiny,
      model: { ...tiny.model, video: { size: 'huge', numLayer: 2 } },
      training: { ...tiny.training, batchSize: 1, steps: 'many' },
    };
    let message = '';
    try {
      validateExperiment(bad, 'my.json');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^my\.json: invalid experiment config/);
    expect(message).toMatch(/model\.video\.size: Invalid option: expected one of "tiny"\|"small"\|"base"\|"medium"\|"large"/);
    expect(message).toMatch(/model\.video\.numLayer: unknown field/);
    expect(message).toMatch(/training\.batchSize: Too small: expected number to be >=2/);
    expect(message).toMatch(/training\.steps: Invalid input: expected number, received string/);
    expect(() => applyOverrides(tiny, ['preprocessing.video.width=30'])).toThrow(
      /preprocessing\.video\.width: 30 is not a multiple of preprocessing\.video\.patchSize\[2\] = 8/,
    );
    expect(() => applyOverrides(tiny, ['preprocessing.audio.samples=4000'])).toThrow(
      /preprocessing\.audio\.samples: 4000 is not a multiple of preprocessing\.audio\.patchSize = 128/,
    );
    expect(() => applyOverrides(getExperiment('tiny-ma'), ['model.audio.dModel=32'])).toThrow(
      /model\.audio\.dModel: 32 must equal model\.video\.dModel \(64\)/,
    );
    expect(() => applyOverrides(tiny, ['model.video={"numLayers":2}'])).toThrow(/model\.video: give "size" .* or "dModel"/);
    expect(() => applyOverrides(tiny, ['training'])).toThrow(/--set training: expected key=value/);
    expect(() => applyOverrides(tiny, ['training.steps.x=1'])).toThrow(/training\.steps is not a section of the config/);
  });

  test('a model and a preprocessing that disagree (a hand-edited checkpoint) name both fields', () => {
    const { model, preprocessing } = getPreset('tiny');
    expect(() => checkGeometry(model, { ...preprocessing, video: { ...preprocessing.video, height: 64 } }, 'ckpt')).toThrow(
      /ckpt: the model and its preprocessing disagree:\n\s+model video\.input\.height = 32 but preprocessing\.video\.height = 64/,
    );
    expect(() =>
      checkGeometry(model, { ...preprocessing, audio: { ...preprocessing.audio, spectrogram: getPreset('tiny-spt').preprocessing.audio.spectrogram } }),
    ).toThrow(/waveform patches but preprocessing\.audio\.spectrogram is set/);
  });

  test('configDifferences lists the dotted paths that differ', () => {
    const a = getExperiment('tiny');
    const b = applyOverrides(a, ['training.batchSize=8', 'preprocessing.video.patchSize=[2,8,8]']);
    expect(configDifferences(a, b)).toEqual(['preprocessing.video.patchSize', 'training.batchSize']);
    expect(configDifferences(a, structuredClone(a))).toEqual([]);
  });
});
