/**
 * The browser demo: loads a VATT checkpoint over HTTP, embeds the held-out clips of the embedded
 * dataset (generated here from the checkpoint's seed, as `vatt eval` does in Node) and ranks them
 * for any typed query by the cosine similarity of the video and text embeddings in the shared
 * video-text space (S_vt).
 *
 * URL parameters: `engine` (tfjs, default: the checkpoint; onnx: an exported folder on onnxruntime-web),
 * `checkpoint` (directory URL holding model.json, default `./checkpoint/`), `onnx` (directory URL holding
 * manifest.json, default `./onnx/`), `backend` (tfjs: webgpu | wasm | cpu; onnx: webgpu | wasm; default: the
 * first that starts, in that order). Video files dropped on the page are embedded and searched too.
 */
import { embeddedSplits, rankByCosine, type Clip, type Embedder, type Matrix } from 'vatt/browser';
import { pageEmbedder } from './engine.js';
import { animateOnHover, drawFrame } from './preview.js';
import { decodeUserVideo, onVideoFiles } from './user-videos.js';

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
async function rank(embedder: Embedder, clips: readonly Clip[], videoVt: Matrix, query: string): Promise<RankedClip[]> {
  const text = await embedder.encodeText([query]);
  return rankByCosine(text.vt.data, videoVt).map(({ row, score }) => ({ id: clips[row].id, label: clips[row].label ?? clips[row].id, score }));
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
  setState('loading', `Starting the ${params.get('engine') ?? 'tfjs'} engine…`);
  const { engine, embedder, provider, skipped } = await pageEmbedder(params);
  document.body.dataset.engine = engine;
  document.body.dataset.backend = provider;
  const seed = embedder.training?.seed ?? 0;
  const { heldout } = embeddedSplits(embedder.preprocessing, seed);
  const v = embedder.preprocessing.video;
  const frameShape: [number, number, number] = [v.frames, v.height, v.width];
  setState('loading', `${embedder.description}. Embedding ${heldout.length} clips…`);
  let video = await embedder.encodeVideo(
    heldout.map((c) => c.video),
    {
      onProgress: (done, total) => setState('loading', `${embedder.description}. Embedding clips ${done}/${total}…`),
    },
  );
  const clips: Clip[] = [...heldout];
  const clipsById = new Map(heldout.map((c) => [c.id, c]));

  const ready = () =>
    `${embedder.description}${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}. ` +
    `Checkpoint step ${embedder.training?.step ?? '?'}, ${heldout.length} held-out clips of the embedded dataset (seed ${seed})` +
    `${clips.length > heldout.length ? ` and ${clips.length - heldout.length} of your videos` : ''}.`;
  let lastQuery = '';
  const search = async (query: string): Promise<void> => {
    const q = query.trim();
    if (!q) return;
    setState('busy', `Ranking clips for "${q}"…`);
    lastQuery = q;
    try {
      showRanking(q, await rank(embedder, clips, video.vt, q), clipsById, frameShape);
      setState('ready', ready());
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
  // The user's own videos: decoded and embedded here, then ranked with the held-out clips.
  onVideoFiles(el('drop-zone'), el<HTMLInputElement>('files'), (files) => {
    void (async () => {
      setState('busy', `Decoding and embedding ${files.length} video(s)…`);
      try {
        const added: Clip[] = [];
        for (const f of files) added.push(await decodeUserVideo(f, embedder.preprocessing));
        const e = await embedder.encodeVideo(added.map((c) => c.video));
        const vt = new Float32Array(video.vt.data.length + e.vt.data.length);
        vt.set(video.vt.data);
        vt.set(e.vt.data, video.vt.data.length);
        video = { ...video, vt: { data: vt, rows: video.vt.rows + e.vt.rows, cols: e.vt.cols } };
        for (const c of added) {
          clips.push(c);
          clipsById.set(c.id, c);
        }
        document.body.dataset.userVideos = String(clips.length - heldout.length);
        setState('ready', ready());
        if (lastQuery) await search(lastQuery);
      } catch (err) {
        setState('error', `Error: ${(err as Error).message}`);
      }
    })();
  });
  // For the end-to-end tests: the page's engine and its embeddings of the held-out clips.
  (window as unknown as { vattDemo: unknown }).vattDemo = {
    engine,
    provider,
    description: embedder.description,
    embedHeldout: async (captions: string[]) => {
      const rows = (m: Matrix) => Array.from(m.data);
      const vv = await embedder.encodeVideo(heldout.map((c) => c.video));
      const a = await embedder.encodeAudio(heldout.map((c) => c.audio));
      const t = await embedder.encodeText(captions);
      return {
        video: { features: rows(vv.features), va: rows(vv.va), vt: rows(vv.vt) },
        audio: { features: rows(a.features), va: rows(a.va), vt: rows(a.vt) },
        text: { features: rows(t.features), vt: rows(t.vt) },
      };
    },
  };
  queryInput.disabled = false;
  searchButton.disabled = false;
  setState('ready', ready());
}

start().catch((e: unknown) => {
  console.error(e);
  setState('error', `Error: ${(e as Error).message}`);
});
