/**
 * The object graph of a TF2 checkpoint: the `_CHECKPOINTABLE_OBJECT_GRAPH` entry, a DT_STRING scalar
 * holding a serialized `TrackableObjectGraph` (tensorflow/core/protobuf/trackable_object_graph.proto).
 * Node 0 is the root (the `tf.train.Checkpoint`, or the Keras model of a SavedModel); `children` are
 * named edges; a node's `attributes` name the checkpoint keys of its saved values ("VARIABLE_VALUE" for
 * a variable); an optimizer node's `slot_variables` link (original variable, slot name) to the node of
 * the slot variable, which has no parent edge of its own.
 *
 * Naming follows tensorflow/python/trackable/trackable_utils.py and tensorflow/python/checkpoint/
 * (util.py, save_util_v1.py): an object's path is the breadth-first path of escaped local names from
 * the root joined with "/" (escape: "." -> "..", "/" -> ".S"); a value's key is
 * `<path>/.ATTRIBUTES/<escaped attribute name>`; a slot variable's path is
 * `<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<escaped slot name>`.
 */
import { TrackableObjectGraphProto, toNumber } from './proto.js';
import { TfCheckpointError } from './errors.js';

/** The key of the object graph tensor (`base.OBJECT_GRAPH_PROTO_KEY` in tensorflow/python/trackable/base.py). */
export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';
/** The attribute name of a variable's value (`trackable.VARIABLE_VALUE_KEY`). */
export const VARIABLE_VALUE = 'VARIABLE_VALUE';

/** One node of a `TrackableObjectGraph`, field for field (camelCase). */
export interface TfTrackableObject {
  children: { nodeId: number; localName: string }[];
  attributes: { name: string; fullName: string; checkpointKey: string }[];
  slotVariables: { originalVariableNodeId: number; slotName: string; slotVariableNodeId: number }[];
  registeredSaver?: { name: string; objectName: string };
  /** `has_checkpoint_values` (a BoolValue): undefined when absent (older TensorFlow). */
  hasCheckpointValues?: boolean;
}

/** A parsed `TrackableObjectGraph`. */
export interface TfObjectGraph {
  nodes: TfTrackableObject[];
}

type Obj = Record<string, unknown>;
const has = (o: Obj, f: string): boolean => Object.prototype.hasOwnProperty.call(o, f) && o[f] !== null && o[f] !== undefined;

/**
 * Parses a serialized `TrackableObjectGraph`.
 *
 * @example
 * const t = await reader.readTensor('_CHECKPOINTABLE_OBJECT_GRAPH');
 * const graph = decodeObjectGraph((t as TfStringTensor).bytes[0]);
 * graph.nodes[0].children.map((c) => c.localName); // e.g. ['layer_with_weights-0', ..., 'optimizer']
 */
export function decodeObjectGraph(bytes: Uint8Array): TfObjectGraph {
  let m: Obj;
  try {
    m = TrackableObjectGraphProto.decode(bytes) as unknown as Obj;
  } catch (e) {
    throw new TfCheckpointError('DATA_LOSS', `${OBJECT_GRAPH_KEY} is not a parseable TrackableObjectGraph (${(e as Error).message})`, {
      tensor: OBJECT_GRAPH_KEY,
    });
  }
  return {
    nodes: ((m.nodes as Obj[]) ?? []).map((n) => {
      const node: TfTrackableObject = {
        children: ((n.children as Obj[]) ?? []).map((c) => ({ nodeId: toNumber(c.node_id), localName: String(c.local_name ?? '') })),
        attributes: ((n.attributes as Obj[]) ?? []).map((a) => ({
          name: String(a.name ?? ''),
          fullName: String(a.full_name ?? ''),
          checkpointKey: String(a.checkpoint_key ?? ''),
        })),
        slotVariables: ((n.slot_variables as Obj[]) ?? []).map((s) => ({
          originalVariableNodeId: toNumber(s.original_variable_node_id),
          slotName: String(s.slot_name ?? ''),
          slotVariableNodeId: toNumber(s.slot_variable_node_id),
        })),
      };
      if (has(n, 'registered_saver')) {
        const r = n.registered_saver as Obj;
        node.registeredSaver = { name: String(r.name ?? ''), objectName: String(r.object_name ?? '') };
      }
      if (has(n, 'has_checkpoint_values')) node.hasCheckpointValues = Boolean((n.has_checkpoint_values as Obj).value);
      return node;
    }),
  };
}

/**
 * Serializes an object graph as TensorFlow's Python protobuf does (fields in number order, proto3
 * defaults left out, a present `has_checkpoint_values` written even when false), so a graph parsed
 * from a checkpoint re-serializes to the same bytes.
 *
 * @example
 * const bytes = encodeObjectGraph(buildObjectGraph(['dense/kernel']).graph);
 * decodeObjectGraph(bytes).nodes.length; // 3: root, dense, kernel
 */
export function encodeObjectGraph(graph: TfObjectGraph): Uint8Array {
  const str = (o: Obj, f: string, v: string): void => {
    if (v) o[f] = v;
  };
  const int = (o: Obj, f: string, v: number): void => {
    if (v) o[f] = v;
  };
  const nodes = graph.nodes.map((n) => {
    const o: Obj = {};
    if (n.children.length)
      o.children = n.children.map((c) => {
        const r: Obj = {};
        int(r, 'node_id', c.nodeId);
        str(r, 'local_name', c.localName);
        return r;
      });
    if (n.attributes.length)
      o.attributes = n.attributes.map((a) => {
        const r: Obj = {};
        str(r, 'name', a.name);
        str(r, 'full_name', a.fullName);
        str(r, 'checkpoint_key', a.checkpointKey);
        return r;
      });
    if (n.slotVariables.length)
      o.slot_variables = n.slotVariables.map((s) => {
        const r: Obj = {};
        int(r, 'original_variable_node_id', s.originalVariableNodeId);
        str(r, 'slot_name', s.slotName);
        int(r, 'slot_variable_node_id', s.slotVariableNodeId);
        return r;
      });
    if (n.registeredSaver) {
      const r: Obj = {};
      str(r, 'name', n.registeredSaver.name);
      str(r, 'object_name', n.registeredSaver.objectName);
      o.registered_saver = r;
    }
    if (n.hasCheckpointValues !== undefined) o.has_checkpoint_values = n.hasCheckpointValues ? { value: true } : {};
    return o;
  });
  return TrackableObjectGraphProto.encode(TrackableObjectGraphProto.fromObject(nodes.length ? { nodes } : {})).finish();
}

/**
 * `escape_local_name` (trackable_utils.py): "." -> "..", "/" -> ".S", so that "/" separates path
 * segments and ".ATTRIBUTES" / ".OPTIMIZER_SLOT" cannot be a user's name.
 *
 * @example
 * escapeLocalName('a.b/c'); // 'a..b.Sc'
 */
export function escapeLocalName(name: string): string {
  return name.replaceAll('.', '..').replaceAll('/', '.S');
}

/** A saved value found by walking the graph. */
export interface TfGraphAttribute {
  /** Node id of the object that owns the value. */
  nodeId: number;
  /** The object's path, e.g. `layer_with_weights-0/kernel` or `layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m`. */
  path: string;
  /** The attribute name ("VARIABLE_VALUE" for variables). */
  name: string;
  /** The key of the tensor in the bundle. */
  checkpointKey: string;
  /** The TF1-style name (`full_name`), "" when none. */
  fullName: string;
}

/** An optimizer slot of a variable. */
export interface TfGraphSlot {
  /** `m`, `v`, `momentum`, ... */
  slotName: string;
  /** Path of the optimizer object that owns the slot, e.g. `optimizer`. */
  optimizerPath: string;
  nodeId: number;
  /** The slot variable's path (`<variable>/.OPTIMIZER_SLOT/<optimizer>/<slot>`). */
  path: string;
  /** The key of the slot's value in the bundle ("" when the slot node has no VARIABLE_VALUE). */
  checkpointKey: string;
}

/** A variable (a non-slot object with a VARIABLE_VALUE) and its optimizer slots. */
export interface TfGraphVariable {
  nodeId: number;
  /** The breadth-first (shortest) path, the one TensorFlow names the checkpoint key after. */
  path: string;
  /**
   * Other paths from the root to the same object (at most 8, shortest first), e.g. the layer path
   * `layer_with_weights-0/layer_with_weights-0/kernel` of a variable keyed `trainable_variables/0`.
   */
  aliases: string[];
  checkpointKey: string;
  fullName: string;
  slots: TfGraphSlot[];
}

/** What walking the object graph finds. */
export interface TfGraphWalk {
  /** Every variable reachable from the root through `children`, in breadth-first order. */
  variables: TfGraphVariable[];
  /** Every saved value, variables and slots and others, in node order. */
  attributes: TfGraphAttribute[];
  /** Path of every node reached (slot variables included); undefined for unreachable nodes. */
  paths: (string | undefined)[];
}

const MAX_ALIASES = 8;

/** Up to `cap` paths to each node, breadth-first (Keras graphs hold the same object under several names, and cycles). */
function allPaths(graph: TfObjectGraph, cap: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (!graph.nodes.length) return out;
  const queue: [number, string][] = [[0, '']];
  out.set(0, ['']);
  for (let i = 0; i < queue.length; i++) {
    const [id, p] = queue[i];
    for (const c of graph.nodes[id].children) {
      const list = out.get(c.nodeId) ?? [];
      if (list.length >= cap) continue;
      const q = p ? `${p}/${escapeLocalName(c.localName)}` : escapeLocalName(c.localName);
      list.push(q);
      out.set(c.nodeId, list);
      queue.push([c.nodeId, q]);
    }
  }
  return out;
}

/**
 * Walks the object graph from the root (node 0) breadth-first through `children`, the order in which
 * TensorFlow numbers and names objects (`ObjectGraphView.breadth_first_traversal`), then names slot
 * variables after their variable and optimizer (`serialize_slot_variables` in checkpoint/util.py).
 *
 * @example
 * const walk = walkObjectGraph(graph);
 * walk.variables.map((v) => `${v.path} -> ${v.checkpointKey}`);
 * // ['layer_with_weights-0/kernel -> layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE', ...]
 */
export function walkObjectGraph(graph: TfObjectGraph): TfGraphWalk {
  const n = graph.nodes.length;
  const paths: (string | undefined)[] = new Array(n).fill(undefined);
  const bad = (why: string): TfCheckpointError => new TfCheckpointError('DATA_LOSS', `${OBJECT_GRAPH_KEY}: ${why}`, { tensor: OBJECT_GRAPH_KEY });
  const order: number[] = [];
  if (n > 0) {
    paths[0] = '';
    const queue = [0];
    while (queue.length) {
      const id = queue.shift()!;
      order.push(id);
      for (const c of graph.nodes[id].children) {
        if (c.nodeId < 0 || c.nodeId >= n) throw bad(`node ${id} has a child "${c.localName}" with id ${c.nodeId}, outside 0..${n - 1}`);
        if (paths[c.nodeId] !== undefined) continue;
        const p = escapeLocalName(c.localName);
        paths[c.nodeId] = paths[id] ? `${paths[id]}/${p}` : p;
        queue.push(c.nodeId);
      }
    }
  }
  const slotsOf = new Map<number, TfGraphSlot[]>();
  const isSlot = new Set<number>();
  const valueKey = (id: number): string => graph.nodes[id].attributes.find((a) => a.name === VARIABLE_VALUE)?.checkpointKey ?? '';
  for (const id of order) {
    for (const s of graph.nodes[id].slotVariables) {
      for (const x of [s.originalVariableNodeId, s.slotVariableNodeId])
        if (x < 0 || x >= n) throw bad(`node ${id} has a slot "${s.slotName}" on node ${x}, outside 0..${n - 1}`);
      const varPath = paths[s.originalVariableNodeId];
      if (varPath === undefined) continue;
      const path = `${varPath}/.OPTIMIZER_SLOT/${paths[id]}/${escapeLocalName(s.slotName)}`;
      if (paths[s.slotVariableNodeId] === undefined) paths[s.slotVariableNodeId] = path;
      isSlot.add(s.slotVariableNodeId);
      const list = slotsOf.get(s.originalVariableNodeId) ?? [];
      list.push({ slotName: s.slotName, optimizerPath: paths[id]!, nodeId: s.slotVariableNodeId, path, checkpointKey: valueKey(s.slotVariableNodeId) });
      slotsOf.set(s.originalVariableNodeId, list);
    }
  }
  const aliases = allPaths(graph, MAX_ALIASES + 1);
  const variables: TfGraphVariable[] = [];
  for (const id of order) {
    if (isSlot.has(id)) continue;
    const v = graph.nodes[id].attributes.find((a) => a.name === VARIABLE_VALUE);
    if (v) {
      const other = (aliases.get(id) ?? []).filter((p) => p !== paths[id]).slice(0, MAX_ALIASES);
      variables.push({ nodeId: id, path: paths[id]!, aliases: other, checkpointKey: v.checkpointKey, fullName: v.fullName, slots: slotsOf.get(id) ?? [] });
    }
  }
  const attributes: TfGraphAttribute[] = [];
  graph.nodes.forEach((node, id) => {
    if (paths[id] === undefined) return;
    for (const a of node.attributes) attributes.push({ nodeId: id, path: paths[id]!, name: a.name, checkpointKey: a.checkpointKey, fullName: a.fullName });
  });
  return { variables, attributes, paths };
}

/** One variable to put in a fresh object graph. */
export interface TfGraphVariableSpec {
  /** Local names from the root, joined by "/", e.g. `vatt/video/layer_0/kernel`. */
  path: string;
  /** The TF1-style name stored as `full_name` (defaults to the path). */
  fullName?: string;
  /** Optimizer slots by slot name, e.g. `['m', 'v']`: each becomes a slot variable of the optimizer. */
  slots?: readonly string[];
}

/** A fresh object graph and the checkpoint key for each value it names. */
export interface TfBuiltObjectGraph {
  graph: TfObjectGraph;
  /** Variable path -> checkpoint key of its value. */
  keys: Map<string, string>;
  /** `${variable path}|${slot name}` -> checkpoint key of the slot's value. */
  slotKeys: Map<string, string>;
}

/**
 * Builds a `TrackableObjectGraph` for a flat list of variable paths, numbered and named as TensorFlow
 * would for the same object tree (breadth-first from the root, slot variables appended after every
 * other node, `has_checkpoint_values` set), so that `tf.train.load_checkpoint` lists the keys and
 * `tf.train.Checkpoint(...).restore` on an object tree with these attribute names matches them.
 * Variables with `slots` get an optimizer object at `optimizerPath` (default `optimizer`, a child of
 * the root) that owns the slot variables.
 *
 * @example
 * const { graph, keys } = buildObjectGraph([{ path: 'dense/kernel', slots: ['m', 'v'] }, 'dense/bias']);
 * keys.get('dense/kernel'); // 'dense/kernel/.ATTRIBUTES/VARIABLE_VALUE'
 */
export function buildObjectGraph(vars: readonly (string | TfGraphVariableSpec)[], options: { optimizerPath?: string } = {}): TfBuiltObjectGraph {
  const specs = vars.map((v) => (typeof v === 'string' ? { path: v } : v));
  const optimizerPath = options.optimizerPath ?? 'optimizer';
  const needsOptimizer = specs.some((s) => s.slots?.length);
  // The object tree: children in first-mention order.
  interface TreeNode {
    children: Map<string, TreeNode>;
    spec?: TfGraphVariableSpec;
    isOptimizer?: boolean;
  }
  const root: TreeNode = { children: new Map() };
  const insert = (segments: string[], spec: TfGraphVariableSpec | undefined, what: string): TreeNode => {
    let node = root;
    for (const s of segments) {
      if (!s) throw new TfCheckpointError('INVALID_ARGUMENT', `buildObjectGraph: ${what} has an empty path segment`);
      let next = node.children.get(s);
      if (!next) node.children.set(s, (next = { children: new Map() }));
      node = next;
    }
    if (spec) {
      if (node.spec || node.isOptimizer) throw new TfCheckpointError('INVALID_ARGUMENT', `buildObjectGraph: duplicate path "${spec.path}"`);
      node.spec = spec;
    }
    return node;
  };
  for (const spec of specs) insert(spec.path.split('/'), spec, `"${spec.path}"`);
  if (needsOptimizer) {
    const opt = insert(optimizerPath.split('/'), undefined, `optimizer path "${optimizerPath}"`);
    if (opt.spec) throw new TfCheckpointError('INVALID_ARGUMENT', `buildObjectGraph: optimizer path "${optimizerPath}" is also a variable`);
    opt.isOptimizer = true;
  }
  for (const spec of specs) {
    const leaf = insert(spec.path.split('/'), undefined, `"${spec.path}"`);
    if (leaf.children.size) throw new TfCheckpointError('INVALID_ARGUMENT', `buildObjectGraph: "${spec.path}" is a variable and also has children`);
  }

  // Breadth-first numbering.
  const order: TreeNode[] = [root];
  const paths: string[] = [''];
  const ids = new Map<TreeNode, number>([[root, 0]]);
  for (let i = 0; i < order.length; i++) {
    for (const [name, child] of order[i].children) {
      ids.set(child, order.length);
      paths.push(paths[i] ? `${paths[i]}/${escapeLocalName(name)}` : escapeLocalName(name));
      order.push(child);
    }
  }
  const nodes: TfTrackableObject[] = order.map((t) => ({
    children: [...t.children.values()].map((c, j) => ({ nodeId: ids.get(c)!, localName: [...t.children.keys()][j] })),
    attributes: [],
    slotVariables: [],
    hasCheckpointValues: true,
  }));
  const keys = new Map<string, string>();
  const slotKeys = new Map<string, string>();
  const attributeKey = (path: string): string => `${path}/.ATTRIBUTES/${VARIABLE_VALUE}`;
  order.forEach((t, id) => {
    if (!t.spec) return;
    const key = attributeKey(paths[id]);
    nodes[id].attributes.push({ name: VARIABLE_VALUE, fullName: t.spec.fullName ?? t.spec.path, checkpointKey: key });
    keys.set(t.spec.path, key);
  });
  if (needsOptimizer) {
    const optId = order.findIndex((t) => t.isOptimizer);
    const optEscaped = paths[optId];
    order.forEach((t, id) => {
      for (const slot of t.spec?.slots ?? []) {
        const slotPath = `${paths[id]}/.OPTIMIZER_SLOT/${optEscaped}/${escapeLocalName(slot)}`;
        const slotId = nodes.length;
        const key = attributeKey(slotPath);
        nodes.push({
          children: [],
          attributes: [{ name: VARIABLE_VALUE, fullName: `${t.spec!.fullName ?? t.spec!.path}/${slot}`, checkpointKey: key }],
          slotVariables: [],
          hasCheckpointValues: true,
        });
        nodes[optId].slotVariables.push({ originalVariableNodeId: id, slotName: slot, slotVariableNodeId: slotId });
        slotKeys.set(`${t.spec!.path}|${slot}`, key);
      }
    });
  }
  return { graph: { nodes }, keys, slotKeys };
}
