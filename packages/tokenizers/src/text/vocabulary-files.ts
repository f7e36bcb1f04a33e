import { Vocabulary } from './vocabulary.js';

/**
 * Reads a vocabulary file (one word per line, line index = id; e.g. DMVR's `howto100m_en.txt`). Node only
 * (`node:fs` is imported on first call, so the package still bundles for the browser, where
 * `Vocabulary.fromText(await (await fetch(url)).text(), url)` does the same).
 *
 * @example
 * const vocab = await loadVocabulary('misc/howto100m_en.txt');
 */
export async function loadVocabulary(path: string): Promise<Vocabulary> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`loadVocabulary: cannot read the vocabulary file "${path}": ${(error as Error).message}`, { cause: error });
  }
  return Vocabulary.fromText(text, `vocabulary file "${path}"`);
}

/**
 * Writes `vocab` to `path` atomically: the text goes to a temporary file beside it, which is then renamed over
 * `path`, so a reader never sees a half-written vocabulary. Node only.
 */
export async function saveVocabulary(path: string, vocab: Vocabulary): Promise<void> {
  const { writeFile, rename, rm } = await import('node:fs/promises');
  const temporary = `${path}.tmp-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  try {
    await writeFile(temporary, vocab.toText(), 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`saveVocabulary: cannot write the vocabulary file "${path}": ${(error as Error).message}`, { cause: error });
  }
}
