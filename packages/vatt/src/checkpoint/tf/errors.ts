/**
 * The one error type of the TensorFlow checkpoint reader and writer. `code` follows the status codes
 * TensorFlow itself returns for the same condition (tensorflow/core/util/tensor_bundle/tensor_bundle.cc
 * uses DataLoss for checksum and size mismatches, NotFound for a missing key, Unimplemented for what a
 * bundle may hold but this reader cannot decode), so the CLI can map them to exit codes and messages.
 */
export type TfCheckpointErrorCode = 'DATA_LOSS' | 'NOT_FOUND' | 'UNIMPLEMENTED' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION';

/** Where an error happened: the file, and within it the block or tensor. */
export interface TfCheckpointErrorDetails {
  /** The file the error is about (`PREFIX.index` or a `PREFIX.data-NNNNN-of-MMMMM`). */
  file?: string;
  /** The tensor (checkpoint key) the error is about. */
  tensor?: string;
  /** Byte offset in `file` of the block or tensor. */
  offset?: number;
  /** Stored (expected) checksum, unmasked. */
  expectedCrc?: number;
  /** Checksum computed on the bytes read. */
  actualCrc?: number;
}

/**
 * An error reading or writing a TensorFlow tensor bundle; the message names the file, and the block or
 * tensor, in words, and the same facts are on the object for programs.
 *
 * @example
 * try {
 *   await reader.readTensor('dense/kernel');
 * } catch (e) {
 *   if (e instanceof TfCheckpointError && e.code === 'DATA_LOSS') console.error(e.file, e.tensor, e.message);
 * }
 */
export class TfCheckpointError extends Error implements TfCheckpointErrorDetails {
  readonly code: TfCheckpointErrorCode;
  readonly file?: string;
  readonly tensor?: string;
  readonly offset?: number;
  readonly expectedCrc?: number;
  readonly actualCrc?: number;

  constructor(code: TfCheckpointErrorCode, message: string, details: TfCheckpointErrorDetails = {}) {
    super(message);
    this.name = 'TfCheckpointError';
    this.code = code;
    Object.assign(this, details);
  }
}

/** `0x1234abcd`: how checksums appear in messages. */
export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
