import { checkPositiveInteger } from '../shapes.js';
import { captionWords } from './caption-words.js';

/** The four words every vocabulary holds (DMVR `WordTokenizer`), `<pad>` first with id 0. */
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

/**
 * A word vocabulary: word `i` has id `i` (one word per line in a vocabulary file, as DMVR's `howto100m_en.txt`).
 * It must contain `<pad>` with id 0 (VATT masks id 0 as padding, docs/numerics.md §1.3), `<bos>`, `<eos>` and `<unk>`;
 * words are unique, lowercase and free of whitespace.
 *
 * @example
 * const vocab = new Vocabulary(['<pad>', '<bos>', '<eos>', '<unk>', 'cut', 'onion']);
 * vocab.idOf('onion'); // 5
 * vocab.idOf('leek');  // 3 (<unk>)
 */
export class Vocabulary {
  /** The words, index = id. */
  readonly words: readonly string[];
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly unkId: number;
  private readonly ids: Map<string, number>;

  /** @param source names where the words came from (a file path) in error messages. */
  constructor(words: readonly string[], source = 'vocabulary') {
    const ids = new Map<string, number>();
    words.forEach((word, id) => {
      if (typeof word !== 'string' || word.length === 0 || /\s/.test(word)) {
        throw new Error(`${source}: word ${id} must be a non-empty string without whitespace; got ${JSON.stringify(word)}`);
      }
      if (word !== word.toLowerCase()) {
        throw new Error(`${source}: word ${id} "${word}" is not lowercase (captions are lowercased, it could never match)`);
      }
      const previous = ids.get(word);
      if (previous !== undefined) {
        throw new Error(`${source}: word "${word}" appears twice (ids ${previous} and ${id})`);
      }
      ids.set(word, id);
    });
    const missing = SPECIAL_TOKENS.filter((token) => !ids.has(token));
    if (missing.length > 0) {
      throw new Error(
        `${source}: missing the special token${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` + `(a vocabulary needs ${SPECIAL_TOKENS.join(', ')})`,
      );
    }
    if (ids.get('<pad>') !== 0) {
      throw new Error(`${source}: <pad> must have id 0 (first line), VATT treats id 0 as padding; it has id ${ids.get('<pad>')}`);
    }
    this.words = Object.freeze([...words]);
    this.ids = ids;
    this.padId = 0;
    this.bosId = ids.get('<bos>')!;
    this.eosId = ids.get('<eos>')!;
    this.unkId = ids.get('<unk>')!;
  }

  /**
   * Parses a vocabulary file's text: one word per line, line index = id (a trailing newline and `\r\n` line
   * ends are accepted), or DMVR's `id word` lines, in any order and mixed with plain ones (dmvr/tokenizers.py
   * WordTokenizer: a plain line's id is its line index). The ids must be 0..n-1, each once: they index the
   * word-embedding table.
   */
  static fromText(text: string, source = 'vocabulary'): Vocabulary {
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const byId = new Map<number, { word: string; line: number }>();
    lines.forEach((line, index) => {
      const parts = line.trim().split(' ');
      let id = index;
      let word = parts[0];
      if (parts.length === 2 && /^\d+$/.test(parts[0])) [id, word] = [Number(parts[0]), parts[1]];
      else if (parts.length !== 1 || parts[0] === '')
        throw new Error(`${source}: line ${index + 1} must hold one word or "id word"; got ${JSON.stringify(line)}`);
      const seen = byId.get(id);
      if (seen) throw new Error(`${source}: id ${id} is given twice (lines ${seen.line} and ${index + 1})`);
      byId.set(id, { word, line: index + 1 });
    });
    const words = Array.from({ length: byId.size }, (_, id) => {
      const entry = byId.get(id);
      if (!entry) {
        const highest = Math.max(...byId.keys());
        throw new Error(`${source}: no word has id ${id}, but ids run up to ${highest}: ids must be 0..${byId.size - 1}, each once`);
      }
      return entry.word;
    });
    return new Vocabulary(words, source);
  }

  /** Number of words (the size of the word-embedding table). */
  get size(): number {
    return this.words.length;
  }

  /** The id of `word`, or `<unk>`'s id when it is not in the vocabulary. */
  idOf(word: string): number {
    return this.ids.get(word) ?? this.unkId;
  }

  /** Whether `word` is in the vocabulary. */
  has(word: string): boolean {
    return this.ids.has(word);
  }

  /** The word with this id; throws for an id outside `[0, size)`. */
  wordOf(id: number): string {
    const word = this.words[id];
    if (word === undefined) throw new Error(`Vocabulary: id ${id} is outside [0, ${this.size})`);
    return word;
  }

  /** The vocabulary file text: one word per line, `\n`-terminated. */
  toText(): string {
    return this.words.join('\n') + '\n';
  }
}

/** Options of {@link buildVocabulary}. */
export interface BuildVocabularyOptions {
  /** Largest vocabulary size, special tokens included; default unlimited (VATT uses 2^16, docs/numerics.md §1.3). */
  maxSize?: number;
  /** Smallest number of occurrences a word needs; default 1. */
  minCount?: number;
}

/**
 * Builds a vocabulary from a caption corpus: the four special tokens first (`<pad>` = 0, `<bos>`, `<eos>`,
 * `<unk>`), then the words of {@link captionWords} by count, most frequent first, ties in code-point order.
 *
 * @example
 * buildVocabulary(['Cut the onion.', 'cut the leek'], { minCount: 2 }).words;
 * // ['<pad>', '<bos>', '<eos>', '<unk>', 'cut', 'the']
 */
export function buildVocabulary(captions: Iterable<string>, options: BuildVocabularyOptions = {}): Vocabulary {
  const { maxSize = Infinity, minCount = 1 } = options;
  if (maxSize !== Infinity) checkPositiveInteger('buildVocabulary', 'maxSize', maxSize);
  checkPositiveInteger('buildVocabulary', 'minCount', minCount);
  if (maxSize < SPECIAL_TOKENS.length) {
    throw new Error(`buildVocabulary: maxSize must be at least ${SPECIAL_TOKENS.length} (the special tokens); got ${maxSize}`);
  }
  const counts = new Map<string, number>();
  let index = 0;
  for (const caption of captions) {
    if (typeof caption !== 'string') {
      throw new Error(`buildVocabulary: caption ${index} must be a string; got ${typeof caption}`);
    }
    for (const word of captionWords(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
    index++;
  }
  const ranked = [...counts]
    .filter(([, count]) => count >= minCount)
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, maxSize - SPECIAL_TOKENS.length)
    .map(([word]) => word);
  return new Vocabulary([...SPECIAL_TOKENS, ...ranked], 'buildVocabulary');
}
