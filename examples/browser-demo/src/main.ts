/**
 * The browser demo: loads a VATT checkpoint over HTTP, embeds the held-out clips of the embedded
 * dataset (generated here from the checkpoint's seed, as `vatt eval` does in Node) and ranks them
 * for any typed query by the cosine similarity of the video and text embeddings in the shared
 * video-text space (S_vt).
 *
 * URL parameters: `checkpoint` (directory URL holding model.json, default `./checkpoint/`),
 * `backend` (webgpu | wasm | cpu; default: the first that starts, in that order).
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddedSplits, encodeText, encodeVideo, loadVattFrom, similarity, type Clip, type LoadedVatt, type Matrix } from 'vatt/browser';
import { BACKEND_ORDER, chooseBackend, type PageBackend } from './backend.js';
import { animateOnHover, drawFrame } from './preview.js';

/** One clip's place in a ranking. */
export interface RankedClip {
  id: string;
  label: string;
  score: number;
}

const el = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page: #${id} is missing`);
  return e as T;
};
const statusEl = el<HTMLParagraphElement>('status');
const form = el<HTMLFormElement>('search-form');
const queryInput = el<HTMLInputElement>('query');
const searchButton = el<HTMLButtonElement>('search');
const presetsEl = el<HTMLDivElement>('presets');
const resultsEl = el<HTMLOListElement>('results');

function setState(state: 'loading' | 'ready' | 'busy' | 'error', message: string): void {
  document.body.dataset.state = state;
  statusEl.textContent = message;
}

/** Ranks `clips` (with their S_vt embeddings `videoVt`) for `query`, best first. */
async function rank(vatt: LoadedVatt, clips: readonly Clip[], videoVt: Matrix, query: string): Promise<RankedClip[]> {
  const text = await encodeText(vatt.model, vatt.preprocessor, [query]);
  const scores = similarity(text.vt, videoVt);
  return clips.map((c, i) => ({ id: c.id, label: c.label ?? c.id, score: scores[i] })).sort((a, b) => b.score - a.score);
}

function showRanking(query: string, ranking: readonly RankedClip[], clipsById: ReadonlyMap<string, Clip>, frameShape: [number, number, number]): void {
  resultsEl.replaceChildren(
    ...ranking.map((r, i) => {
      const li = document.createElement('li');
      li.className = i === 0 ? 'result top' : 'result';
      li.dataset.rank = String(i + 1);
      li.dataset.clipId = r.id;
      li.dataset.score = String(r.score);
      const canvas = document.createElement('canvas');
      const clip = clipsById.get(r.id)!;
      drawFrame(canvas, clip.video as Uint8Array, frameShape, 0);
      animateOnHover(canvas, clip.video as Uint8Array, frameShape);
      canvas.dataset.clipId = r.id;
      const caption = clip.captions[0] ?? '';
      li.append(canvas);
      li.insertAdjacentHTML('beforeend', `<div><span class="rank">#${i + 1}</span> <span class="score">${r.score.toFixed(4)}</span></div>`);
      const label = document.createElement('div');
      label.className = 'label';
      label.textContent = r.label;
      const cap = document.createElement('div');
      cap.className = 'caption';
      cap.textContent = caption;
      li.append(label, cap);
      return li;
    }),
  );
  resultsEl.dataset.query = query;
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const asked = params.get('backend');
  if (asked && !(BACKEND_ORDER as readonly string[]).includes(asked)) throw new Error(`backend: "${asked}" is not one of ${BACKEND_ORDER.join(', ')}`);
  const backend = await chooseBackend(asked ? [asked as PageBackend] : BACKEND_ORDER);
  document.body.dataset.backend = backend.name;
  const checkpointUrl = params.get('checkpoint') ?? './checkpoint/';
  setState('loading', `Backend ${backend.name}. Loading checkpoint ${checkpointUrl}…`);
  const modelJson = new URL('model.json', new URL(checkpointUrl.endsWith('/') ? checkpointUrl : `${checkpointUrl}/`, location.href)).href;
  const vatt = await loadVattFrom<{ seed?: number }>(tf.io.browserHTTPRequest(modelJson), modelJson);
  const seed = vatt.training?.seed ?? 0;
  const { heldout } = embeddedSplits(vatt.preprocessing, seed);
  const v = vatt.preprocessing.video;
  const frameShape: [number, number, number] = [v.frames, v.height, v.width];
  setState('loading', `Backend ${backend.name}. Embedding ${heldout.length} clips…`);
  const video = await encodeVideo(
    vatt.model,
    vatt.preprocessor,
    heldout.map((c) => c.video),
    {
      onProgress: (done, total) => setState('loading', `Backend ${backend.name}. Embedding clips ${done}/${total}…`),
    },
  );
  const clipsById = new Map(heldout.map((c) => [c.id, c]));

  const ready =
    `Backend ${backend.name}${backend.skipped.length ? ` (skipped ${backend.skipped.join('; ')})` : ''}. ` +
    `Checkpoint step ${vatt.training?.step ?? '?'}, ${heldout.length} held-out clips of the embedded dataset (seed ${seed}).`;
  const search = async (query: string): Promise<void> => {
    const q = query.trim();
    if (!q) return;
    setState('busy', `Ranking clips for "${q}"…`);
    try {
      showRanking(q, await rank(vatt, heldout, video.vt, q), clipsById, frameShape);
      setState('ready', ready);
    } catch (e) {
      setState('error', `Error: ${(e as Error).message}`);
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void search(queryInput.value);
  });
  // Example queries: the descriptions of six held-out clips spread over the set. The stride is one more
  // than n/6 so that it does not line up with the dataset's colour x shape x motion order.
  const stride = Math.floor(heldout.length / 6) + 1;
  const presets = heldout
    .filter((_, i) => i % stride === 0)
    .map((c) => c.captions[0])
    .slice(0, 6);
  presetsEl.replaceChildren(
    ...presets.map((p) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = p;
      b.addEventListener('click', () => {
        queryInput.value = p;
        void search(p);
      });
      return b;
    }),
  );
  queryInput.disabled = false;
  searchButton.disabled = false;
  setState('ready', ready);
}

start().catch((e: unknown) => {
  console.error(e);
  setState('error', `Error: ${(e as Error).message}`);
});
