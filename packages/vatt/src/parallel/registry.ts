/**
 * Where a ReplicaPool worker finds the factory of its replica: the built-in replicas by name, or any ES
 * module by path / URL / package specifier (exporting `createReplica`, or the export the spec names).
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReplicaSpec } from './protocol.js';
import type { ReplicaFactory } from './replica.js';
import { createPretrainReplica, VATT_PRETRAIN_REPLICA } from './vatt-replica.js';

const BUILT_IN = new Map<string, ReplicaFactory>([[VATT_PRETRAIN_REPLICA, createPretrainReplica as ReplicaFactory]]);

/** The names of the built-in replicas. */
export const BUILT_IN_REPLICAS = [...BUILT_IN.keys()];

/** The factory `spec` names. */
export async function replicaFactory(spec: ReplicaSpec): Promise<ReplicaFactory> {
  const builtIn = BUILT_IN.get(spec.module);
  if (builtIn) return builtIn;
  const name = spec.export ?? 'createReplica';
  const url = isAbsolute(spec.module) ? pathToFileURL(spec.module).href : spec.module;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[name];
  if (typeof factory !== 'function') throw new Error(`replica module ${spec.module} exports no function "${name}"`);
  return factory as ReplicaFactory;
}
