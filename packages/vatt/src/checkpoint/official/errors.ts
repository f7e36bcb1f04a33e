/**
 * The error of the official-checkpoint converter. `code` says what kind of problem it is; the message
 * names the variable (or the file and offset) and what was expected, and the same facts are fields for
 * programs. Errors of the tensor-bundle reader itself (checksums, truncated files) stay
 * `TfCheckpointError`s, re-thrown with the variable being converted added to the message.
 */
export type OfficialCheckpointErrorCode =
  /** The checkpoint is not a VATT checkpoint of any known family (another model, a TF1 saver). */
  | 'NOT_VATT'
  /** The checkpoint is a VATT checkpoint of another family than the chosen preset (e.g. VATT-MA for `--preset bbs`). */
  | 'WRONG_FAMILY'
  /** Variables the preset needs are absent, or present with another shape or dtype, or unknown variables are present. */
  | 'LAYOUT_MISMATCH'
  /** An unknown preset name or an inconsistent preset option. */
  | 'BAD_PRESET'
  /** The vocabulary or the word-embedding file is missing or does not fit the model. */
  | 'TEXT_FILES'
  /** A project checkpoint directory that cannot be read or does not fit the layout. */
  | 'BAD_CHECKPOINT'
  /** The tensor-bundle reader failed (checksum, truncated or missing file) while converting. */
  | 'DATA';

/** One layout problem: which variable, what the checkpoint holds, what the preset expects. */
export interface LayoutProblem {
  kind: 'missing' | 'unexpected' | 'shape' | 'dtype';
  /** The official object path (`model/layer_with_weights-0/...`). */
  official: string;
  /** Our parameter name, when the variable maps to one. */
  ours?: string;
  /** What the checkpoint holds (`float32 [768, 768]`), for shape / dtype / unexpected problems. */
  actual?: string;
  /** What the preset expects, for missing / shape / dtype problems. */
  expected?: string;
}

/**
 * @example
 * try {
 *   await importOfficialVatt('ckpt-500000', { preset: 'mbs', vocab: 'howto100m_en.txt', out: 'vatt-mbs' });
 * } catch (e) {
 *   if (e instanceof OfficialCheckpointError && e.code === 'LAYOUT_MISMATCH') console.error(e.problems);
 * }
 */
export class OfficialCheckpointError extends Error {
  readonly code: OfficialCheckpointErrorCode;
  /** Every layout problem found (LAYOUT_MISMATCH), not only the ones the message shows. */
  readonly problems: LayoutProblem[];
  /** The file the error is about, when it is about one (a data shard, the vocabulary). */
  readonly file?: string;
  /** Byte offset in `file`. */
  readonly offset?: number;
  /** The checkpoint key of the tensor being read. */
  readonly tensor?: string;

  constructor(
    code: OfficialCheckpointErrorCode,
    message: string,
    details: { problems?: LayoutProblem[]; file?: string; offset?: number; tensor?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OfficialCheckpointError';
    this.code = code;
    this.problems = details.problems ?? [];
    if (details.file !== undefined) this.file = details.file;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.tensor !== undefined) this.tensor = details.tensor;
  }
}

/**
 * `[768, 768]`: how shapes appear in messages.
 *
 * @example
 * fmtShape([4, 16, 16, 3, 768]); // '[4, 16, 16, 3, 768]'
 */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A problem as one line of an error message.
 *
 * @example
 * describeProblem({ kind: 'missing', official: 'model/x/kernel', ours: 'video/x/kernel', expected: 'float32 [2, 2]' });
 * // 'missing model/x/kernel (our video/x/kernel): expected float32 [2, 2]'
 */
export function describeProblem(p: LayoutProblem): string {
  const ours = p.ours ? ` (our ${p.ours})` : '';
  switch (p.kind) {
    case 'missing':
      return `missing ${p.official}${ours}: expected ${p.expected}`;
    case 'unexpected':
      return `unexpected ${p.official} ${p.actual}: maps to no parameter of the preset`;
    case 'shape':
      return `${p.official}${ours} is ${p.actual}, expected ${p.expected}`;
    case 'dtype':
      return `${p.official}${ours} is ${p.actual}, expected a floating-point tensor (${p.expected})`;
  }
}
