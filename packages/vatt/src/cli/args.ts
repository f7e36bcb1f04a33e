/** What every `vatt` command shares: argument parsers, the backend option, checkpoint lookup, JSON output. */
import { InvalidArgumentError, Option } from 'commander';
import { BACKEND_CHOICES } from '../backend.js';
import { writeFileAtomic } from '../durable-files.js';

export const out = (s: string) => process.stdout.write(`${s}\n`);

/** An integer option >= min; the error names the option and the value. */
export function int(name: string, min = 0) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
}

/** A number option in [min, max]. */
export function float(name: string, min = -Infinity, max = Infinity) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got "${v}"`);
    return n;
  };
}

export const backendOption = () => new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES).default('auto');

/** A checkpoint directory (with model.json), or a run directory whose newest complete checkpoint is used (the library's `resolveCheckpointDir`). */
export { resolveCheckpointDir as resolveCheckpoint } from '../onnx/node.js';

/** Writes JSON atomically (`writeFileAtomic`); typed arrays are left out. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(
    file,
    JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) ? undefined : v), 1),
  );
}
