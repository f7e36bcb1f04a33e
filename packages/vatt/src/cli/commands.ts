/** `vatt eval retrieval`, `vatt embed` and `vatt info` (pretraining: pretrain-command.ts; argument parsing: main.ts). */
import { countParameters } from '@vatt/transformer';
import { setupBackend, type BackendChoice } from '../backend.js';
import { readCheckpointInfo } from '../checkpoint/store.js';
import type { PreprocessingConfig } from '../config/experiment.js';
import type { Clip } from '../data/clips.js';
import { embeddedSplits } from '../data/embedded.js';
import { evaluationClips, readSource } from '../data/sources.js';
import { formatZeroShot, type ZeroShotReport } from '../eval/zero-shot.js';
import { isClassifierConfig, loadClassifier } from '../finetune/finetune.js';
import type { Matrix } from '../model/encode.js';
import { loadVatt } from '../model/load.js';
import { TfjsEmbedder, type Embedder } from '../onnx/embedder.js';
import { isOnnxFolder } from '../onnx/node.js';
import { embedderRetrieval } from '../onnx/retrieval.js';
import type { PretrainState } from '../train/pretrain.js';
import { out, resolveCheckpoint, writeJsonAtomic } from './args.js';
import { commandEmbedIndex, openCliEmbedder } from './onnx-commands.js';

/** The embedded held-out split, or a real source (media or prepared shards) decoded for evaluation (bad samples reported, skipped). */
async function evaluationSet(spec: string, pre: PreprocessingConfig, seed: number): Promise<Clip[]> {
  if (spec === 'embedded') return embeddedSplits(pre, seed).heldout;
  const source = await readSource(spec, { evaluation: true });
  const { clips, skipped } = await evaluationClips(source.shards ?? source.samples, pre);
  for (const s of skipped) process.stderr.write(`skipped sample ${s.id}: ${s.reason}\n`);
  out(`data: ${source.kind}: ${source.description}, ${clips.length} clips${skipped.length ? ` (${skipped.length} skipped)` : ''}`);
  return clips;
}

/** The model of `eval retrieval` / `embed --out file.json` as an `Embedder`, and what the command reports of it. */
interface CommandModel {
  embedder: Embedder;
  /** What the JSON output names as `checkpoint`: the resolved checkpoint directory (tfjs), or the argument as given (onnx). */
  checkpoint: string;
  /** Printed once the data is read (tfjs: `backend: ...; checkpoint: ...`; the onnx engine prints its line on opening). */
  banner?: string;
}

/**
 * The onnx engine (`--engine onnx`, or an exported folder) through `openCliEmbedder`; otherwise the checkpoint
 * on the tfjs `--backend`, as a `TfjsEmbedder`.
 */
async function openCommandModel(ckptArg: string, o: Record<string, unknown>): Promise<CommandModel> {
  if (o.engine === 'onnx' || isOnnxFolder(ckptArg)) return { embedder: await openCliEmbedder(ckptArg, o), checkpoint: ckptArg };
  const b = await setupBackend((o.backend as BackendChoice) ?? 'auto');
  const dir = await resolveCheckpoint(ckptArg);
  return { embedder: new TfjsEmbedder(await loadVatt<PretrainState>(dir)), checkpoint: dir, banner: `backend: ${b.name}; checkpoint: ${dir}` };
}

export async function commandRetrieval(ckptArg: string, o: Record<string, unknown>): Promise<void> {
  const { embedder, banner } = await openCommandModel(ckptArg, o);
  try {
    const clips = await evaluationSet(String(o.data ?? 'embedded'), embedder.preprocessing, embedder.training?.seed ?? 0);
    if (banner) out(banner);
    const report: ZeroShotReport = await embedderRetrieval(embedder, clips);
    out(formatZeroShot(report));
    if (typeof o.json === 'string') await writeJsonAtomic(o.json, report);
  } finally {
    await embedder.dispose();
  }
}

/** A matrix as an array of rows (for JSON). */
const rows = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));

/**
 * `vatt embed`: `--out DIR` (no .json) embeds a whole source into an index folder; `--out file.json` writes
 * JSON (`--text` captions, or the evaluation clips' video, audio and text), with `engine` on the onnx engine.
 */
export async function commandEmbed(ckptArg: string, o: Record<string, unknown>): Promise<void> {
  const file = String(o.out);
  if (!Array.isArray(o.text) && !file.endsWith('.json')) return commandEmbedIndex(ckptArg, o);
  const { embedder, checkpoint } = await openCommandModel(ckptArg, o);
  const head = { checkpoint, ...(embedder.engine === 'onnx' ? { engine: embedder.engine } : {}) };
  try {
    if (Array.isArray(o.text)) {
      const t = await embedder.encodeText(o.text as string[]);
      await writeJsonAtomic(file, { ...head, captions: o.text, features: rows(t.features), vt: rows(t.vt) });
    } else {
      const clips = await evaluationSet(String(o.data ?? 'embedded'), embedder.preprocessing, embedder.training?.seed ?? 0);
      const v = await embedder.encodeVideo(clips.map((c) => c.video));
      const a = await embedder.encodeAudio(clips.map((c) => c.audio));
      const t = await embedder.encodeText(clips.map((c) => c.captions[0] ?? ''));
      await writeJsonAtomic(file, {
        ...head,
        clips: clips.map((c) => ({ id: c.id, caption: c.captions[0] })),
        video: { features: rows(v.features), va: rows(v.va), vt: rows(v.vt) },
        audio: { features: rows(a.features), va: rows(a.va) },
        text: { features: rows(t.features), vt: rows(t.vt) },
      });
    }
    out(`wrote ${file}`);
  } finally {
    await embedder.dispose();
  }
}

/** `vatt info` for a fine-tuned classifier checkpoint. */
async function classifierInfo(dir: string): Promise<void> {
  const { classifier, preprocessing, training } = await loadClassifier(dir);
  const c = classifier.config;
  const b = c.backbone;
  const backbone = classifier
    .namedParameters()
    .filter(([n]) => n.startsWith(classifier.backbonePrefix))
    .reduce((s, [, v]) => s + v.size, 0);
  out(`checkpoint: ${dir}`);
  out(`fine-tuned ${c.kind}: ${c.numClasses} classes, dropout ${c.dropout}`);
  out(`backbone ${b.numLayers} layers x d${b.dModel} (${b.numHeads} heads x ${b.dKv}, MLP ${b.dFF}); ${(backbone / 1e6).toFixed(3)} M parameters`);
  out(`total  ${(classifier.countParams() / 1e6).toFixed(3)} M parameters`);
  if (training?.classes) out(`classes: ${training.classes.join(', ')}`);
  out(`preprocessing: ${JSON.stringify(preprocessing)}`);
  if (training) out(`training: step ${training.step} (skipped ${training.skippedSteps}), seed ${training.seed}`);
  classifier.dispose();
}

export async function commandInfo(ckptArg: string): Promise<void> {
  await setupBackend('cpu');
  const dir = await resolveCheckpoint(ckptArg);
  // The model config says whose checkpoint it is: a classifier's or VATT's.
  if (isClassifierConfig((await readCheckpointInfo(dir)).modelConfig)) return classifierInfo(dir);
  const loaded = await loadVatt<PretrainState>(dir);
  const m = loaded.model;
  const c = loaded.config;
  const tower = (prefix: string) =>
    m
      .namedParameters()
      .filter(([n]) => n.startsWith(prefix))
      .reduce((s, [, v]) => s + v.size, 0);
  out(`checkpoint: ${dir}`);
  out(`variant: ${c.variant}`);
  for (const [name, cfg] of [
    ['video', c.video],
    ['audio', c.audio],
    ['text', c.text],
  ] as const) {
    out(
      `${name.padEnd(6)} ${cfg.numLayers} layers x d${cfg.dModel} (${cfg.numHeads} heads x ${cfg.dKv}, MLP ${cfg.dFF}); ` +
        `${(tower(`${name}/`) / 1e6).toFixed(3)} M parameters (formula: ${(countParameters(cfg).total / 1e6).toFixed(3)} M)`,
    );
  }
  if (m.sharedEncoder) out(`shared encoder: ${(tower('tx/') / 1e6).toFixed(3)} M parameters`);
  out(`head   d_va ${c.head.dVa}, d_vt ${c.head.dVt} (${c.head.style} style); ${(tower('head/') / 1e6).toFixed(3)} M parameters`);
  out(`total  ${(m.countParams() / 1e6).toFixed(3)} M parameters, ${(m.countParams(true) / 1e6).toFixed(3)} M trainable`);
  out(`preprocessing: ${JSON.stringify(loaded.preprocessing)}`);
  out(`vocabulary: ${loaded.vocab.length} words`);
  const t = loaded.training;
  if (t) {
    out(`training: step ${t.step} (skipped ${t.skippedSteps}), seed ${t.seed}, data ${t.run?.data ?? '?'}`);
    if (t.run?.experiment) out(`experiment: ${JSON.stringify({ schedule: t.run.experiment.schedule, training: t.run.experiment.training })}`);
  }
  m.dispose();
}
