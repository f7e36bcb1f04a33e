/**
 * Test support (not exported): where the real TensorFlow checkpoints live and what is known about them
 * (/work/shared/fixtures/tf-checkpoints/README.md), temporary directories, byte flips.
 * The fixtures are `../shared/fixtures/tf-checkpoints/` from the repository root; under `CI=true` a
 * missing folder fails the fixture tests, elsewhere it skips them with a warning.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../../../../../shared/fixtures/tf-checkpoints/', import.meta.url));
export const FIXTURES_PRESENT = existsSync(FIXTURES);
const IN_CI = process.env.CI === 'true';
if (!FIXTURES_PRESENT && !IN_CI) console.warn(`TensorFlow checkpoint fixtures not found at ${FIXTURES}: their tests are skipped (they fail under CI=true)`);

/** `describe` for tests that need the fixtures: skipped without them, except under CI, where they run (and fail). */
export const describeFixtures: jest.Describe = FIXTURES_PRESENT || IN_CI ? describe : describe.skip;

/** The fixture checkpoints (folder names) and their prefix. */
export const FIXTURE_NAMES = ['keras_sequential_adam', 'keras_functional_nested', 'module_sgd', 'tf1_regression'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];
export const fixturePrefix = (name: FixtureName): string => path.join(FIXTURES, name, 'variables');

/** A fresh temporary directory; remove it with `fs.rm(dir, { recursive: true })`. */
export function tempDir(tag: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `vatt-tf-${tag}-`));
}

/** Copies a fixture's two files into `dir` (as `dir/variables.*`); returns the copy's prefix. */
export async function copyFixture(name: FixtureName, dir: string): Promise<string> {
  for (const suffix of ['.index', '.data-00000-of-00001']) await fs.copyFile(fixturePrefix(name) + suffix, path.join(dir, 'variables' + suffix));
  // The fixtures are read-only; the copies must be writable to be damaged.
  for (const suffix of ['.index', '.data-00000-of-00001']) await fs.chmod(path.join(dir, 'variables' + suffix), 0o644);
  return path.join(dir, 'variables');
}

/** Flips every bit of the byte at `offset` of `file`. */
export async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await fs.readFile(file);
  bytes[offset] ^= 0xff;
  await fs.writeFile(file, bytes);
}
