import { checkPositiveInteger, type ShapedArray } from '../shapes.js';
import { captionWords } from './caption-words.js';
import type { Vocabulary } from './vocabulary.js';

/** Options of {@link WordTokenizer}. */
export interface WordTokenizerOptions {
  /** Ids per caption (pad or crop); default 16 (docs/numerics.md §1.3, `max_num_words`). */
  maxLength?: number;
  /** Put `<bos>` first; default false (VATT's setting). */
  prependBos?: boolean;
  /** Put `<eos>` after the last word; default false. Cropping happens after, as in DMVR, so it may be cut. */
  appendEos?: boolean;
  /**
   * Turn an empty caption (nothing left after removing punctuation and whitespace) into an all-`<pad>` row
   * instead of throwing — for clips without text, whose row the model masks out; default false.
   */
  allowEmpty?: boolean;
}

/**
 * Captions -> word ids, DMVR's `WordTokenizer` (docs/numerics.md §1.3): delete ASCII punctuation, lowercase, split
 * on whitespace ({@link captionWords}), look each word up (`<unk>` when absent), optionally add `<bos>`/`<eos>`,
 * then crop or pad with `<pad>` (id 0) to `maxLength`.
 *
 * @example
 * const vocab = buildVocabulary(['stop me now']);
 * const tokenizer = new WordTokenizer(vocab, { maxLength: 6 });
 * tokenizer.tokenize(["Don't STOP--me, now!!"]);
 * // { data: Int32Array [3, 3, 5, 0, 0, 0], shape: [1, 6] }  ("dont", "stopme" -> <unk> = 3; "now" = 5)
 */
export class WordTokenizer {
  readonly vocabulary: Vocabulary;
  readonly maxLength: number;
  readonly prependBos: boolean;
  readonly appendEos: boolean;
  readonly allowEmpty: boolean;

  constructor(vocabulary: Vocabulary, options: WordTokenizerOptions = {}) {
    this.vocabulary = vocabulary;
    this.maxLength = options.maxLength ?? 16;
    checkPositiveInteger('WordTokenizer', 'maxLength', this.maxLength);
    this.prependBos = options.prependBos ?? false;
    this.appendEos = options.appendEos ?? false;
    this.allowEmpty = options.allowEmpty ?? false;
  }

  /**
   * Ids of one caption, before padding or cropping (with `<bos>`/`<eos>` when configured); `[]` for an empty
   * caption when `allowEmpty`. `index` only words the error message.
   */
  encode(caption: string, index = 0): number[] {
    if (typeof caption !== 'string') {
      throw new Error(`WordTokenizer: caption ${index} must be a string; got ${caption === null ? 'null' : typeof caption}`);
    }
    const words = captionWords(caption);
    if (words.length === 0) {
      if (this.allowEmpty) return [];
      throw new Error(
        `WordTokenizer: caption ${index} (${JSON.stringify(caption)}) is empty after removing punctuation and ` +
          `whitespace; pass allowEmpty: true to get an all-<pad> row`,
      );
    }
    const ids = words.map((word) => this.vocabulary.idOf(word));
    if (this.prependBos) ids.unshift(this.vocabulary.bosId);
    if (this.appendEos) ids.push(this.vocabulary.eosId);
    return ids;
  }

  /** Tokenizes a batch of captions (or one caption) into int32 ids `[B, maxLength]`; see `toTensor`. */
  tokenize(captions: string | readonly string[]): ShapedArray<Int32Array> {
    const list = typeof captions === 'string' ? [captions] : captions;
    if (!Array.isArray(list)) {
      throw new Error(`WordTokenizer: captions must be a string or an array of strings; got ${typeof captions}`);
    }
    const { maxLength } = this;
    const data = new Int32Array(list.length * maxLength); // zeros = <pad>
    list.forEach((caption, index) => {
      const ids = this.encode(caption, index);
      data.set(ids.length > maxLength ? ids.slice(0, maxLength) : ids, index * maxLength);
    });
    return { data, shape: [list.length, maxLength] };
  }

  /**
   * Ids back to text, as DMVR's `indices_to_string`: stops at the first `<pad>` or `<eos>`, skips a leading
   * `<bos>`, joins words with spaces.
   */
  decode(ids: ArrayLike<number>): string {
    const words: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.vocabulary.padId || id === this.vocabulary.eosId) break;
      if (i === 0 && id === this.vocabulary.bosId) continue;
      words.push(this.vocabulary.wordOf(id));
    }
    return words.join(' ');
  }
}
