/**
 * The POSIX `[[:punct:]]` class (ASCII punctuation), which DMVR's `WordTokenizer` deletes with
 * `tf.strings.regex_replace(s, '[[:punct:]]', '')` (docs/numerics.md §1.3).
 */
const POSIX_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const WHITESPACE = /\s+/;

/**
 * A caption's words as DMVR's `WordTokenizer` sees them: every ASCII punctuation character deleted (not
 * replaced by a space, so "don't" -> "dont" and "stop--me" -> "stopme"), lowercased, split on whitespace.
 *
 * Lowercasing is Unicode-aware (`toLowerCase`); TensorFlow's `tf.strings.lower` lowercases ASCII only, so a
 * non-ASCII capital (e.g. "É") differs — such words are rare in the English HowTo100M vocabulary.
 *
 * @example
 * captionWords("Don't STOP--me, now!!"); // ['dont', 'stopme', 'now']
 */
export function captionWords(caption: string): string[] {
  return caption
    .replace(POSIX_PUNCTUATION, '')
    .toLowerCase()
    .split(WHITESPACE)
    .filter((word) => word.length > 0);
}
