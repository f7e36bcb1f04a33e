import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildVocabulary, loadVocabulary, saveVocabulary, Vocabulary } from '../index.js';

const SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'];

describe('Vocabulary', () => {
  test('gives line index = id, <unk> for unknown words, and the special ids', () => {
    const vocab = Vocabulary.fromText('<pad>\n<bos>\n<eos>\n<unk>\ncut\nonion\n');
    expect(vocab.size).toBe(6);
    expect([vocab.padId, vocab.bosId, vocab.eosId, vocab.unkId]).toEqual([0, 1, 2, 3]);
    expect(vocab.idOf('onion')).toBe(5);
    expect(vocab.idOf('leek')).toBe(3);
    expect(vocab.wordOf(4)).toBe('cut');
    expect(vocab.has('cut')).toBe(true);
  });

  test('reads CRLF files, a missing final newline, and DMVR "id word" lines', () => {
    expect(Vocabulary.fromText('<pad>\r\n<bos>\r\n<eos>\r\n<unk>\r\nx').words).toEqual([...SPECIALS, 'x']);
    expect(Vocabulary.fromText('0 <pad>\n1 <unk>\n2 <eos>\n3 <bos>\n').unkId).toBe(1);
  });

  test('names the missing special tokens', () => {
    expect(() => Vocabulary.fromText('<pad>\n<unk>\ncut\n', 'my.txt')).toThrow(
      /my\.txt: missing the special tokens <bos>, <eos> \(a vocabulary needs <pad>, <bos>, <eos>, <unk>\)/,
    );
    expect(() => new Vocabulary(['<pad>', '<bos>', '<eos>', 'cut'])).toThrow(/missing the special token <unk> /);
  });

  test('requires <pad> to be id 0', () => {
    expect(() => new Vocabulary(['<bos>', '<pad>', '<eos>', '<unk>'])).toThrow(/<pad> must have id 0 .* it has id 1/);
  });

  test('rejects duplicate, uppercase, blank and multi-word lines with their position', () => {
    expect(() => new Vocabulary([...SPECIALS, 'cut', 'cut'])).toThrow(/word "cut" appears twice \(ids 4 and 5\)/);
    expect(() => new Vocabulary([...SPECIALS, 'Cut'])).toThrow(/word 4 "Cut" is not lowercase/);
    expect(() => Vocabulary.fromText('<pad>\n\n<bos>\n<eos>\n<unk>\n', 'v.txt')).toThrow(/v\.txt: line 2 must hold one word or "id word"; got ""/);
    expect(() => Vocabulary.fromText('<pad>\n<bos>\n<eos>\n<unk>\nred onion\n')).toThrow(/line 5 must hold one word or "id word"; got "red onion"/);
    expect(() => Vocabulary.fromText('0 <pad>\n5 <bos>\n')).toThrow(/no word has id 1, but ids run up to 5: ids must be 0\.\.1, each once/);
    expect(() => Vocabulary.fromText('0 <pad>\n1 <bos>\n1 <eos>\n')).toThrow(/id 1 is given twice \(lines 2 and 3\)/);
  });

  test("DMVR's `id word` lines in any order, mixed with plain lines (the line index is their id), as dmvr/tokenizers.py reads them", () => {
    const v = Vocabulary.fromText('3 <unk>\n1 <bos>\n<eos>\n0 <pad>\n4 onion\n');
    expect(v.words).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', 'onion']);
    expect(v.idOf('onion')).toBe(4);
  });

  test('toText writes one word per line and reads back identically', () => {
    const vocab = buildVocabulary(['the cat', 'the dog']);
    expect(vocab.toText()).toBe('<pad>\n<bos>\n<eos>\n<unk>\nthe\ncat\ndog\n');
    expect(Vocabulary.fromText(vocab.toText()).words).toEqual(vocab.words);
  });
});

describe('vocabulary files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vatt-vocab-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('save then load round-trips the words and leaves no temporary file', async () => {
    const vocab = buildVocabulary(["Don't STOP--me, now!!", 'crème brûlée now']);
    const path = join(dir, 'vocab.txt');
    await saveVocabulary(path, vocab);
    const loaded = await loadVocabulary(path);
    expect(loaded.words).toEqual(vocab.words);
    expect(await readFile(path, 'utf8')).toBe(vocab.toText());
    expect(await readdir(dir)).toEqual(['vocab.txt']);
  });

  test('save replaces an existing file in one step', async () => {
    const path = join(dir, 'vocab.txt');
    await writeFile(path, 'old contents\n');
    await saveVocabulary(path, buildVocabulary(['new']));
    expect((await loadVocabulary(path)).words).toEqual([...SPECIALS, 'new']);
  });

  test('load names the path of a missing file', async () => {
    const path = join(dir, 'nope.txt');
    await expect(loadVocabulary(path)).rejects.toThrow(`cannot read the vocabulary file "${path}"`);
  });

  test('load names the path of a file without the special tokens', async () => {
    const path = join(dir, 'bad.txt');
    await writeFile(path, '<pad>\ncut\n');
    await expect(loadVocabulary(path)).rejects.toThrow(new RegExp(`vocabulary file ".*bad\\.txt": missing the special tokens <bos>, <eos>, <unk>`));
  });

  test('save names the path it cannot write and cleans up', async () => {
    const path = join(dir, 'missing-dir', 'vocab.txt');
    await expect(saveVocabulary(path, buildVocabulary(['a']))).rejects.toThrow(`cannot write the vocabulary file "${path}"`);
    expect(await readdir(dir)).toEqual([]);
  });
});
