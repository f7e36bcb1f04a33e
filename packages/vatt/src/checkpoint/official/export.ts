/**
 * Export of one of this project's checkpoints in the official layout (layout.ts): a TF2 tensor bundle
 * with its object graph (`buildObjectGraph`), so that `tf.train.Checkpoint(model=..., optimizer=...)
 * .restore(prefix)` of the official code finds every variable, and `vatt import tf` reads it back.
 *
 * Optimizer state, where the checkpoint has it (`optimizer/` weights of checkpoint/format.ts, as
 * `Trainer.optimizerWeights` names them): `m/<param>`, `v/<param>` (Adam), `momentum/<param>` (SGD) become
 * slot variables `<official path>/.OPTIMIZER_SLOT/optimizer/<slot>` of the parameter, `iter` becomes the
 * int64 `optimizer/iter` (which the official `experiments/base.py` reads to resume and to label
 * evaluations), and Keras' Adam hyper-parameters `optimizer/beta_1`, `beta_2`, `decay` (SGD: `momentum`,
 * `decay`) are written from the run's config; the learning rate is a schedule of `iter` in the official
 * code, so it has no variable. tfjs' running `acc_beta1` / `acc_beta2` products have no Keras
 * counterpart (Keras recomputes beta^t from `iter`) and are left out. Without optimizer state,
 * `optimizer/iter` still records the training step (0 when unknown) so that official evaluation runs.
 *
 * The vocabulary (not part of a TF checkpoint) goes to `<prefix>.vocab.txt`, one word per line as the
 * official `howto100m_en.txt`, where the import looks for it. Note that the official trainer also
 * opens `misc/word2vec.pkl` before restoring (the checkpoint's table then replaces its values).
 */
import { saveVocabulary, Vocabulary } from '@vatt/tokenizers';
import type { ExperimentConfig, VattConfig } from '../../config/experiment.js';
import type { ClassifierConfig } from '../../finetune/classifier.js';
import { buildObjectGraph, TfCheckpointWriter, type TfGraphVariableSpec } from '../tf/index.js';
import { OfficialCheckpointError, fmtShape } from './errors.js';
import type { ConversionProgress } from './import.js';
import { familyOfConfig, layoutVariables, type LayoutSource, type LayoutVariable } from './layout.js';
import { ProjectCheckpointReader, type ProjectWeight } from './project-io.js';

export interface ExportOptions {
  onProgress?: (p: ConversionProgress) => void;
  /** Write `<prefix>.vocab.txt` when the checkpoint has a vocabulary (default true). */
  vocabFile?: boolean;
}

export interface ExportResult {
  prefix: string;
  family: LayoutSource['family'];
  /** Tensors written (weights, slots, optimizer and checkpoint counters; not the object graph). */
  tensors: number;
  /** Optimizer slot tensors among them. */
  slots: number;
  dataBytes: number;
  /** The `optimizer/iter` written. */
  step: number;
  /** Our weights with no official counterpart that were left out, and why. */
  dropped: Array<{ name: string; reason: string }>;
  /** The vocabulary file written, if any. */
  vocabFile?: string;
  seconds: number;
}

const OPT = 'optimizer/';

interface TrainingInfo {
  step?: number;
  run?: { config?: Partial<ExperimentConfig>; momentum?: number };
}

/**
 * Writes our checkpoint directory `dir` as an official-layout TensorFlow checkpoint at `prefix`
 * (`prefix.index`, `prefix.data-00000-of-00001`), streaming one tensor at a time; atomic like
 * TensorFlow's own writer.
 *
 * @example
 * await exportOfficialVatt('runs/bbs/checkpoints/ckpt-00500000', 'export/ckpt-500000');
 * // python: tf.train.Checkpoint(model=keras_model, optimizer=optimizer).restore('export/ckpt-500000')
 */
export async function exportOfficialVatt(dir: string, prefix: string, options: ExportOptions = {}): Promise<ExportResult> {
  const t0 = performance.now();
  const reader = await ProjectCheckpointReader.open(dir);
  let source: LayoutSource;
  try {
    source = familyOfConfig(reader.meta.modelConfig as VattConfig | ClassifierConfig);
  } catch (e) {
    throw new OfficialCheckpointError('BAD_CHECKPOINT', `${dir}: ${(e as Error).message}`, { cause: e });
  }
  const vars = layoutVariables(source);
  const byOurs = new Map(vars.map((v) => [v.ours, v]));
  const weights = new Map<string, ProjectWeight>();
  const slots = new Map<string, Map<string, ProjectWeight>>(); // param -> slot -> weight
  const dropped: ExportResult['dropped'] = [];
  let iterWeight: ProjectWeight | undefined;
  for (const w of reader.specs) {
    if (!w.name.startsWith(OPT)) {
      const l = byOurs.get(w.name);
      if (!l)
        throw new OfficialCheckpointError(
          'BAD_CHECKPOINT',
          `${dir}: weight "${w.name}" ${fmtShape(w.shape)} has no place in the official layout of a ${source.family} model`,
        );
      if (l.shape.join() !== w.shape.join() || w.dtype !== 'float32') {
        throw new OfficialCheckpointError(
          'BAD_CHECKPOINT',
          `${dir}: weight "${w.name}" is ${w.dtype} ${fmtShape(w.shape)}, its config says float32 ${fmtShape(l.shape)}`,
        );
      }
      weights.set(w.name, w);
      continue;
    }
    const rest = w.name.slice(OPT.length);
    if (rest === 'iter') {
      iterWeight = w;
      continue;
    }
    const slash = rest.indexOf('/');
    const slot = slash > 0 ? rest.slice(0, slash) : '';
    const param = slash > 0 ? rest.slice(slash + 1) : '';
    const l = byOurs.get(param);
    if (!slot || !l) {
      dropped.push({
        name: w.name,
        reason: rest.startsWith('acc_beta') ? "tfjs' running Adam beta power (Keras derives it from optimizer/iter)" : 'no official counterpart',
      });
      continue;
    }
    if (l.shape.join() !== w.shape.join())
      throw new OfficialCheckpointError(
        'BAD_CHECKPOINT',
        `${dir}: optimizer slot "${w.name}" ${fmtShape(w.shape)} does not match "${param}" ${fmtShape(l.shape)}`,
      );
    if (!slots.has(param)) slots.set(param, new Map());
    slots.get(param)!.set(slot, w);
  }
  const missing = vars.filter((v) => !weights.has(v.ours));
  if (missing.length) {
    throw new OfficialCheckpointError(
      'BAD_CHECKPOINT',
      `${dir} lacks ${missing.length} weight(s) of its model: ${missing
        .slice(0, 8)
        .map((v) => v.ours)
        .join(', ')}${missing.length > 8 ? ', ...' : ''}`,
    );
  }

  // Optimizer kind and hyper-parameters (see the file comment).
  const training = (reader.meta.training ?? {}) as TrainingInfo;
  const slotNames = new Set([...slots.values()].flatMap((s) => [...s.keys()]));
  const isClassifier = source.family === 'video-classifier' || source.family === 'audio-classifier';
  const sgd = slotNames.has('momentum') || (!slotNames.size && isClassifier);
  const adam = training.run?.config?.optimizer;
  const hypers: Array<[string, number]> = sgd
    ? [
        ['decay', 0],
        ['momentum', training.run?.momentum ?? 0.9],
      ]
    : [
        ['beta_1', adam?.beta1 ?? 0.9],
        ['beta_2', adam?.beta2 ?? 0.999],
        ['decay', 0],
      ];

  const specs: TfGraphVariableSpec[] = vars.map((v) => ({ path: v.official, ...(slots.has(v.ours) ? { slots: [...slots.get(v.ours)!.keys()] } : {}) }));
  specs.push({ path: 'optimizer/iter' }, ...hypers.map(([n]) => ({ path: `optimizer/${n}` })), { path: 'save_counter' });
  const graph = buildObjectGraph(specs);
  const official = new Map<string, { layout: LayoutVariable; key: string }>();
  for (const v of vars) official.set(v.ours, { layout: v, key: graph.keys.get(v.official)! });

  const slotCount = [...slots.values()].reduce((s, m) => s + m.size, 0);
  const tensorsTotal = vars.length + slotCount + 2 + hypers.length;
  const bytesTotal = reader.totalBytes;
  const writer = await TfCheckpointWriter.create(prefix);
  let step = training.step ?? 0;
  let done = 0;
  let bytesDone = 0;
  try {
    for await (const { weight, bytes } of reader.weights()) {
      bytesDone += bytes.byteLength;
      if (weight === iterWeight) {
        step =
          weight.dtype === 'int32' ? new Int32Array(bytes.buffer, bytes.byteOffset, 1)[0] : Math.round(new Float32Array(bytes.buffer, bytes.byteOffset, 1)[0]);
        continue;
      }
      let variable: string;
      const target = official.get(weight.name);
      if (target) {
        variable = target.layout.official;
        await writer.add(target.key, {
          dtype: 'float32',
          shape: target.layout.officialShape,
          data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
        });
      } else {
        const rest = weight.name.slice(OPT.length);
        const slash = rest.indexOf('/');
        const [slot, param] = [rest.slice(0, slash), rest.slice(slash + 1)];
        const l = official.get(param);
        if (!l || slots.get(param)?.get(slot) !== weight) continue; // dropped above
        variable = `${l.layout.official}/.OPTIMIZER_SLOT/optimizer/${slot}`;
        const key = graph.slotKeys.get(`${l.layout.official}|${slot}`)!;
        await writer.add(key, {
          dtype: 'float32',
          shape: l.layout.officialShape,
          data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
        });
      }
      options.onProgress?.({ bytesDone, bytesTotal, tensorsDone: ++done, tensorsTotal, variable });
    }
    await writer.add(graph.keys.get('optimizer/iter')!, { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(step)) });
    for (const [n, value] of hypers) await writer.add(graph.keys.get(`optimizer/${n}`)!, { dtype: 'float32', shape: [], data: Float32Array.of(value) });
    // tf.train.Checkpoint.save() increments it before writing: 1 for a first save.
    await writer.add(graph.keys.get('save_counter')!, { dtype: 'int64', shape: [], data: BigInt64Array.of(1n) });
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const result = await writer.finish({ objectGraph: graph.graph });
  let vocabFile: string | undefined;
  if ((options.vocabFile ?? true) && reader.meta.vocab?.length) {
    vocabFile = `${prefix}.vocab.txt`;
    await saveVocabulary(vocabFile, new Vocabulary(reader.meta.vocab, `${dir} vocabulary`));
  }
  return {
    prefix,
    family: source.family,
    tensors: result.tensors - 1,
    slots: slotCount,
    dataBytes: result.dataBytes,
    step,
    dropped,
    ...(vocabFile ? { vocabFile } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}
