import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, forEachBackend, testBackends } from '@vatt-testing/backends';
import { buildVocabulary, captionWords, toTensor, Vocabulary, WordTokenizer } from '../index.js';

// ids: <pad>=0 <bos>=1 <eos>=2 <unk>=3 dont=4 me=5 now=6 stop=7 stopme=8
const vocab = new Vocabulary(['<pad>', '<bos>', '<eos>', '<unk>', 'dont', 'me', 'now', 'stop', 'stopme']);

describe('captionWords', () => {
  test('deletes POSIX punctuation without splitting, lowercases and splits on whitespace', () => {
    expect(captionWords("Don't STOP--me, now!!")).toEqual(['dont', 'stopme', 'now']);
    expect(captionWords('  cut\tthe\n(red) onion... 2-3 times; 50% of it @home #tips ')).toEqual([
      'cut',
      'the',
      'red',
      'onion',
      '23',
      'times',
      '50',
      'of',
      'it',
      'home',
      'tips',
    ]);
    expect(captionWords('a_b [c] {d} <e> "f" `g` ~h | i \\ j / k ^ l')).toEqual(['ab', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
  });

  test('keeps non-ASCII letters and lowercases them', () => {
    expect(captionWords('CRÈME Brûlée — ¿sí?')).toEqual(['crème', 'brûlée', '—', '¿sí']);
  });
});

describe('WordTokenizer', () => {
  test('maps a tricky caption to ids, unknown words to <unk>, padded with <pad> = 0 to 16', () => {
    const out = new WordTokenizer(vocab).tokenize(["Don't STOP--me, now!!"]);
    expect(out.shape).toEqual([1, 16]);
    expect(out.data).toBeInstanceOf(Int32Array);
    expect(Array.from(out.data)).toEqual([4, 8, 6, ...new Array(13).fill(0)]);
    expect(Array.from(new WordTokenizer(vocab, { maxLength: 4 }).tokenize('stop me, please NOW').data)).toEqual([7, 5, 3, 6]);
  });

  test('crops long captions to maxLength', () => {
    const out = new WordTokenizer(vocab, { maxLength: 3 }).tokenize(['now now now now now', 'me']);
    expect(out.shape).toEqual([2, 3]);
    expect(Array.from(out.data)).toEqual([6, 6, 6, 5, 0, 0]);
  });

  test('adds <bos>/<eos> when asked, cropping after them as DMVR does (the <eos> can be cut)', () => {
    const tokenizer = new WordTokenizer(vocab, { maxLength: 4, prependBos: true, appendEos: true });
    expect(Array.from(tokenizer.tokenize(['stop me', 'stop me now now']).data)).toEqual([1, 7, 5, 2, 1, 7, 5, 6]);
  });

  test('throws on an empty or punctuation-only caption, naming its index', () => {
    const tokenizer = new WordTokenizer(vocab);
    expect(() => tokenizer.tokenize(['now', '  ?!... ', 'me'])).toThrow(
      /caption 1 \(" {2}\?!\.\.\. "\) is empty after removing punctuation and whitespace; pass allowEmpty: true/,
    );
    expect(() => tokenizer.tokenize(['', 'me'])).toThrow(/caption 0 \(""\) is empty/);
  });

  test('gives an all-<pad> row for an empty caption with allowEmpty (clips without text)', () => {
    const tokenizer = new WordTokenizer(vocab, { maxLength: 3, allowEmpty: true, prependBos: true });
    expect(Array.from(tokenizer.tokenize(['--', 'now']).data)).toEqual([0, 0, 0, 1, 6, 0]);
  });

  test('rejects a non-string caption and a bad maxLength', () => {
    expect(() => new WordTokenizer(vocab).tokenize(['now', 7 as unknown as string])).toThrow(/caption 1 must be a string; got number/);
    expect(() => new WordTokenizer(vocab, { maxLength: 0 })).toThrow(/maxLength must be an integer >= 1; got 0/);
  });

  test('decodes ids back to words up to the first <pad> or <eos>, skipping a leading <bos>', () => {
    const tokenizer = new WordTokenizer(vocab);
    expect(tokenizer.decode([1, 7, 3, 6, 2, 5])).toBe('stop <unk> now');
    expect(tokenizer.decode(tokenizer.tokenize('Stop! me now').data)).toBe('stop me now');
  });
});

forEachBackend(testBackends({ webgpu: true }), () => {
  describe('word ids as a tensor', () => {
    test('toTensor gives an int32 [B, maxLength] tensor with the same ids', async () => {
      const ids = new WordTokenizer(vocab, { maxLength: 5 }).tokenize(["Don't STOP--me, now!!", 'me']);
      const tensor = toTensor(ids);
      expect(tensor.dtype).toBe('int32');
      expect(tensor.shape).toEqual([2, 5]);
      expect(Array.from(await tensor.data())).toEqual([4, 8, 6, 0, 0, 5, 0, 0, 0, 0]);
      tensor.dispose();
    });

    test('toTensor leaves nothing behind once the tensor is disposed', async () => {
      const ids = new WordTokenizer(vocab).tokenize(['stop me now']);
      await expectNoLeak(() => tf.dispose(toTensor(ids)));
    });
  });
});

describe('buildVocabulary', () => {
  test('puts the special tokens first, then words by count (ties alphabetical)', () => {
    const built = buildVocabulary(['Cut the onion.', 'cut THE leek', 'the end', 'Add salt; add pepper']);
    expect(built.words).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', 'the', 'add', 'cut', 'end', 'leek', 'onion', 'pepper', 'salt']);
  });

  test('honours minCount and maxSize (special tokens included in the size)', () => {
    const captions = ['a a a b b c', 'b b d'];
    expect(buildVocabulary(captions, { minCount: 2 }).words.slice(4)).toEqual(['b', 'a']);
    expect(buildVocabulary(captions, { maxSize: 5 }).words).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', 'b']);
    expect(() => buildVocabulary(captions, { maxSize: 3 })).toThrow(/maxSize must be at least 4/);
  });

  test('builds a vocabulary a WordTokenizer can use directly', () => {
    const built = buildVocabulary(['stop me now']);
    expect(Array.from(new WordTokenizer(built, { maxLength: 6 }).tokenize(["Don't STOP--me, now!!"]).data)).toEqual([3, 3, 5, 0, 0, 0]);
  });
});
