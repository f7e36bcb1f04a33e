export { ReplicaPool, shardBatch, shardRandomState } from './pool.js';
export type { ReplicaPoolOptions, ShardedCallOptions, PoolGradients } from './pool.js';
export type { Replica, ReplicaFactory } from './replica.js';
export type { ReplicaSpec, ShardInfo } from './protocol.js';
export { replicatedPretrainGrads } from './pretrain.js';
export { createPretrainReplica, VATT_PRETRAIN_REPLICA } from './vatt-replica.js';
