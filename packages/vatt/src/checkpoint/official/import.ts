/**
 * Import of a released VATT TensorFlow checkpoint (or one `exportOfficialVatt` wrote) into this
 * project's checkpoint directory, which `loadVatt` / `loadClassifier`, `vatt embed`, `vatt eval` read.
 *
 * Order of work: the index and object graph are matched against the preset's layout first (layout.ts,
 * match.ts: nothing is read or written when a variable is missing, unexpected, or of another shape);
 * then the model's tensors are streamed in data-file order with a bounded read-ahead, each checked
 * against its CRC32C by the bundle reader, reshaped (a view: the bytes stay) and appended to the output
 * shards; `model.json` is written last and the directory renamed into place (project-io.ts), so an
 * import that fails or is killed leaves no checkpoint behind. Optimizer slots are not read.
 */
import { loadVocabulary, Vocabulary } from '@vatt/tokenizers';
import { existsSync } from 'node:fs';
import { checkGeometry, type VattConfig } from '../../config/experiment.js';
import { numElements, openTfCheckpoint, TfCheckpointError, toFloat32, type TfBundleEntry, type TfTensor } from '../tf/index.js';
import { OfficialCheckpointError, fmtShape } from './errors.js';
import { layoutVariables, type LayoutVariable } from './layout.js';
import { assertMatches, matchTarget, scanCheckpoint, type MatchResult } from './match.js';
import { ProjectCheckpointWriter } from './project-io.js';
import { resolveTarget, type TargetSpec } from './targets.js';
import { readWordEmbeddings, type WordTable } from './word-embeddings.js';

/** Progress of an import or export, after each tensor. */
export interface ConversionProgress {
  bytesDone: number;
  bytesTotal: number;
  tensorsDone: number;
  tensorsTotal: number;
  /** The official object path of the tensor just converted. */
  variable: string;
}

export interface ImportOptions {
  /** What the checkpoint is: a preset name (`bbs`, `ma-medium`, `vit-base-k400`, ...) or a target (targets.ts). */
  preset: TargetSpec;
  /** The checkpoint directory to write (replaced atomically if it exists). */
  out: string;
  /**
   * The vocabulary (VATT models): a file (`howto100m_en.txt` of the official misc_data.tgz, one word per
   * line), the words, or a Vocabulary. Default: `<prefix>.vocab.txt`, which `exportOfficialVatt` writes.
   */
  vocab?: string | readonly string[] | Vocabulary;
  /**
   * The word table (`word2vec.pkl` of misc_data.tgz, or a `.npy`): needed only when the checkpoint lacks
   * the text tower's frozen table; when it has one, the file is compared with it and the checkpoint's is used.
   */
  wordEmbeddings?: string;
  onProgress?: (p: ConversionProgress) => void;
  /** Bytes of tensor reads kept in flight ahead of the writer (default 64 MiB). */
  readAheadBytes?: number;
}

export interface ImportResult {
  out: string;
  /** The checkpoint prefix read. */
  prefix: string;
  /** The preset (target) name. */
  preset: string;
  family: MatchResult['target']['source']['family'];
  tensors: number;
  /** Bytes of weights written. */
  bytes: number;
  seconds: number;
  /** Official variables not imported and why (optimizer state, the save counter, ignored weights). */
  skipped: Array<{ official: string; reason: string }>;
  /** Things worth knowing (dtype conversions, a word file that differs from the checkpoint's table). */
  notes: string[];
  vocabSize?: number;
}

/** The official path of the text tower's frozen word table in a family, if it has one. */
const isWordTable = (l: LayoutVariable) => l.ours === 'text/embedding/embeddings';

async function resolveVocab(opt: ImportOptions['vocab'], prefix: string): Promise<Vocabulary> {
  if (opt instanceof Vocabulary) return opt;
  if (Array.isArray(opt)) return new Vocabulary(opt as string[], 'the given vocabulary');
  const file = typeof opt === 'string' ? opt : `${prefix}.vocab.txt`;
  if (typeof opt !== 'string' && !existsSync(file)) {
    throw new OfficialCheckpointError(
      'TEXT_FILES',
      `${prefix}: a VATT model needs its vocabulary, which TensorFlow checkpoints do not hold: pass vocab (CLI --vocab FILE), ` +
        'e.g. howto100m_en.txt from the official misc_data.tgz (one word per line, <pad> first)',
    );
  }
  try {
    return await loadVocabulary(file);
  } catch (e) {
    throw new OfficialCheckpointError('TEXT_FILES', (e as Error).message, { file, cause: e });
  }
}

/** A reader error as the import's DATA error: its message (with `where` added), file, offset and tensor. */
function dataError(e: TfCheckpointError, out: string, where = ''): OfficialCheckpointError {
  return new OfficialCheckpointError('DATA', `${e.message}${where}; nothing was written to ${out}`, {
    ...(e.file ? { file: e.file } : {}),
    ...(e.offset !== undefined ? { offset: e.offset } : {}),
    ...(e.tensor ? { tensor: e.tensor } : {}),
    cause: e,
  });
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/**
 * Imports an official VATT checkpoint (TF2 tensor bundle: a prefix like `.../ckpt-500000`, its `.index`,
 * or a directory with a `checkpoint` file) as a checkpoint directory of this project: config,
 * preprocessing, vocabulary and weights. Streams tensor by tensor; writes atomically.
 *
 * @example
 * await importOfficialVatt('tx_fac_bbs/ckpt-500000', { preset: 'bbs', vocab: 'misc/howto100m_en.txt', out: 'checkpoints/vatt-bbs' });
 * const { model, preprocessor } = await loadVatt('checkpoints/vatt-bbs');
 */
export async function importOfficialVatt(checkpoint: string, options: ImportOptions): Promise<ImportResult> {
  const t0 = performance.now();
  const target = resolveTarget(options.preset);
  const reader = await openTfCheckpoint(checkpoint);
  let writer: ProjectCheckpointWriter | undefined;
  try {
    const scan = await scanCheckpoint(reader);
    const m = matchTarget(scan, target);
    const isVatt = m.target.source.family === 'modality-specific' || m.target.source.family === 'modality-agnostic';
    const words = m.matched.find((x) => isWordTable(x.layout));
    const wordLayout = isVatt ? layoutVariables(m.target.source).find(isWordTable) : undefined;
    // A missing word table is fine when the word file supplies it.
    assertMatches(scan, m, { allowMissing: (p) => Boolean(options.wordEmbeddings) && p.ours === wordLayout?.ours });

    const notes: string[] = [];
    let vocab: Vocabulary | undefined;
    if (isVatt) {
      const config = m.target.source.config as VattConfig;
      checkGeometry(config, m.target.preprocessing, `preset ${m.target.name}`);
      vocab = await resolveVocab(options.vocab, reader.prefix);
      const rows = config.text.input.vocabSize;
      if (vocab.size > rows) {
        throw new OfficialCheckpointError(
          'TEXT_FILES',
          `the vocabulary has ${vocab.size} words but the word table of preset ${m.target.name} has ${rows} rows: the ids would overflow it`,
        );
      }
      if (vocab.size < rows) notes.push(`the vocabulary has ${vocab.size} words for a ${rows}-row word table: rows ${vocab.size}..${rows - 1} are never used`);
    }
    let fileTable: WordTable | undefined;
    if (options.wordEmbeddings) {
      if (!wordLayout) throw new OfficialCheckpointError('TEXT_FILES', `preset ${m.target.name} has no word table; leave out the word embeddings`);
      fileTable = await readWordEmbeddings(options.wordEmbeddings);
      if (!fileTable.shape.every((n, i) => n === wordLayout.officialShape[i])) {
        throw new OfficialCheckpointError(
          'TEXT_FILES',
          `word embeddings ${options.wordEmbeddings}: shape ${fmtShape(fileTable.shape)}, but the text tower of preset ${m.target.name} ` +
            `needs ${fmtShape(wordLayout.officialShape)} (${wordLayout.ours})`,
          { file: options.wordEmbeddings },
        );
      }
      if (fileTable.stored.slice(1) !== 'f4') notes.push(`word embeddings ${options.wordEmbeddings}: converted from ${fileTable.stored} to float32`);
    }

    const modelBytes = m.matched.reduce((s, x) => s + numElements(x.layout.shape) * 4, 0);
    const fromFile = !words && fileTable && wordLayout ? wordLayout : undefined;
    const total = modelBytes + (fromFile ? fileTable!.data.byteLength : 0);
    const tensorsTotal = m.matched.length + (fromFile ? 1 : 0);
    writer = await ProjectCheckpointWriter.create(
      options.out,
      {
        modelConfig: m.target.source.config,
        preprocessing: m.target.preprocessing,
        ...(vocab ? { vocab: [...vocab.words] } : {}),
        convertedBy: `vatt.ts import of the TensorFlow checkpoint ${reader.prefix} as ${m.target.name}`,
      },
      total,
    );
    const byKey = new Map(m.matched.map((x) => [x.entry.name, x]));
    const converted = new Map<string, number>();
    let done = 0;
    const progress = (variable: string) =>
      options.onProgress?.({ bytesDone: writer!.bytesWritten, bytesTotal: total, tensorsDone: ++done, tensorsTotal, variable });
    const reads = reader.tensors({ entries: m.matched.map((x) => x.entry), readAheadBytes: options.readAheadBytes });
    for (;;) {
      let next: IteratorResult<{ entry: TfBundleEntry; tensor: TfTensor }>;
      try {
        next = await reads.next();
      } catch (e) {
        if (!(e instanceof TfCheckpointError)) throw e;
        const x = e.tensor ? byKey.get(e.tensor) : undefined;
        throw dataError(e, options.out, x ? ` [official ${x.layout.official}, our ${x.layout.ours}]` : '');
      }
      if (next.done) break;
      const { entry, tensor } = next.value;
      const x = byKey.get(entry.name)!;
      if (tensor.dtype !== 'float32') converted.set(tensor.dtype, (converted.get(tensor.dtype) ?? 0) + 1);
      const data = toFloat32(tensor);
      if (fileTable && isWordTable(x.layout) && !sameValues(data, fileTable.data)) {
        notes.push(
          `word embeddings ${options.wordEmbeddings} differ from the checkpoint's ${x.layout.official}; ` +
            "the checkpoint's table is used (the one it was trained with)",
        );
      }
      await writer.add(x.layout.ours, 'float32', x.layout.shape, data);
      progress(x.layout.official);
    }
    if (fromFile) {
      await writer.add(fromFile.ours, 'float32', fromFile.shape, fileTable!.data);
      notes.push(`the checkpoint has no ${fromFile.official}; the word table comes from ${options.wordEmbeddings}`);
      progress(fromFile.official);
    }
    for (const [dtype, n] of converted) notes.push(`${n} tensor(s) stored as ${dtype} were converted to float32`);
    await writer.finish();
    return {
      out: options.out,
      prefix: reader.prefix,
      preset: m.target.name,
      family: m.target.source.family,
      tensors: tensorsTotal,
      bytes: total,
      seconds: (performance.now() - t0) / 1000,
      skipped: m.other.map((o) => ({ official: o.variable.path, reason: o.reason })),
      notes,
      ...(vocab ? { vocabSize: vocab.size } : {}),
    };
  } catch (e) {
    await writer?.abort();
    if (e instanceof TfCheckpointError) throw dataError(e, options.out);
    throw e;
  } finally {
    await reader.close();
  }
}
