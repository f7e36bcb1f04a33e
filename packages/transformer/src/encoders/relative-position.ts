export interface RelativeBucketOptions {
  /** Keys on both sides of the query get their own buckets (default true: the encoder case). */
  bidirectional?: boolean;
  /** Number of buckets (default 32, docs/numerics.md §2.3). */
  numBuckets?: number;
  /** Distance from which every offset shares the last bucket of its side (default 64). */
  maxDistance?: number;
}

/**
 * T5's `_relative_position_bucket` (docs/numerics.md §2.3): maps `relativePosition = key - query` to a
 * bucket id. Bidirectional with 32 buckets: keys left of (or at) the query use 0–15, keys to the
 * right use 16–31; within a half, distances below 8 get their own bucket and larger ones are
 * log-spaced up to `maxDistance`, clipped at the half's last bucket. The log is evaluated in float32
 * and truncated to an integer, as TensorFlow does.
 *
 * @example
 * relativePositionBucket(-3); // 3
 * relativePositionBucket(3);  // 19
 * relativePositionBucket(100); // 31
 */
export function relativePositionBucket(relativePosition: number, opts: RelativeBucketOptions = {}): number {
  let numBuckets = opts.numBuckets ?? 32;
  const maxDistance = opts.maxDistance ?? 64;
  let bucket = 0;
  let n = -relativePosition;
  if (opts.bidirectional ?? true) {
    numBuckets = Math.floor(numBuckets / 2);
    if (n < 0) bucket += numBuckets;
    n = Math.abs(n);
  } else {
    n = Math.max(n, 0);
  }
  const maxExact = Math.floor(numBuckets / 2);
  if (n < maxExact) return bucket + n;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(f(n) / maxExact))) / f(Math.log(maxDistance / maxExact))) * (numBuckets - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), numBuckets - 1);
}

/**
 * The bucket of every (query, key) pair: an `Int32Array` of `queryLength · keyLength` entries,
 * row-major `[q][k]`, with relative position `k - q`.
 */
export function relativePositionBuckets(queryLength: number, keyLength: number, opts: RelativeBucketOptions = {}): Int32Array {
  const out = new Int32Array(queryLength * keyLength);
  for (let q = 0; q < queryLength; q++) for (let k = 0; k < keyLength; k++) out[q * keyLength + k] = relativePositionBucket(k - q, opts);
  return out;
}
