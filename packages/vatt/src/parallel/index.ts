export { ReplicaPool, shardBatch } from './pool.js';
export type { ReplicaPoolOptions, ShardedCallOptions, PoolGradients } from './pool.js';
export type { Replica, ReplicaFactory } from './replica.js';
export type { ReplicaSpec } from './protocol.js';
export { BUILT_IN_REPLICAS } from './registry.js';
export { createPretrainReplica, VATT_PRETRAIN_REPLICA } from './vatt-replica.js';
