/**
 * The browser demo on onnxruntime-web: exports a VATT checkpoint to ONNX in Node (`exportOnnx`), builds the
 * page with Vite, serves both on 127.0.0.1 and drives Debian's headless Chromium (/usr/bin/chromium through
 * playwright-core; WebGPU on SwiftShader). Checks, per execution provider (wasm, webgpu), that the page's
 * embeddings of the held-out clips and of captions match the tfjs model in Node within 1e-4 (every output
 * of every tower) and that its ranking for a query is Node's; then drops two video files of the user's on
 * the page and checks they are decoded, embedded and ranked.
 *
 * Run from the repository root after `npm run build`: `node --test examples/browser-demo/test/`.
 * Environment: VATT_DEMO_CHECKPOINT=<checkpoint dir> (and VATT_DEMO_PAGE=<built page>) reuse a checkpoint (a page) instead of
 * making one; `node browser-demo/run-tests.mjs` (npm test) makes both once for every test file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { chromium } from 'playwright-core';
import { embeddedSplits, exportOnnx, loadVatt, similarity, TfjsEmbedder } from 'vatt';
import { CHROMIUM, CHROMIUM_ARGS, demoCheckpoint, demoPage, serve } from '../harness.mjs';

const run = promisify(execFile);
const PARITY = 1e-4;
let tmp;
let server;
let browser;
let checkpointDir;
let baseUrl;
let node; // the tfjs model's embeddings in Node (cpu backend)

const maxAbs = (a, b) => {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vatt-browser-onnx-'));
  checkpointDir = await demoCheckpoint(tmp);
  await tf.setBackend('cpu');
  const onnxDir = path.join(tmp, 'onnx');
  await exportOnnx(checkpointDir, onnxDir);

  const loaded = await loadVatt(checkpointDir);
  const embedder = new TfjsEmbedder(loaded);
  const { heldout } = embeddedSplits(loaded.preprocessing, loaded.training?.seed ?? 0);
  const captions = [heldout[0].captions[0], heldout[5].captions[0], 'a red circle', ''];
  const v = await embedder.encodeVideo(heldout.map((c) => c.video));
  const a = await embedder.encodeAudio(heldout.map((c) => c.audio));
  const t = await embedder.encodeText(captions);
  const q = await embedder.encodeText([captions[0]]);
  const scores = similarity(q.vt, v.vt);
  node = {
    captions,
    out: { video: v, audio: a, text: t },
    ranking: heldout.map((c, i) => ({ id: c.id, score: scores[i] })).sort((x, y) => y.score - x.score),
  };
  await embedder.dispose();

  server = await serve(await demoPage(tmp), { checkpoint: checkpointDir, onnx: onnxDir });
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Opens the page on the onnx engine with `provider` and waits until it is ready. */
async function openPage(provider) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.goto(`${baseUrl}?engine=onnx&onnx=/onnx/&backend=${provider}`);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
  const [state, status] = await page.evaluate(() => [document.body.dataset.state, document.getElementById('status')?.textContent]);
  assert.equal(state, 'ready', `page (${provider}) did not become ready: ${status}\n${problems.join('\n')}`);
  return { page, status, problems };
}

async function search(page, query) {
  await page.fill('#query', query);
  await page.click('#search');
  await page.waitForFunction((q) => document.getElementById('results')?.dataset.query === q && document.body.dataset.state !== 'busy', query, {
    timeout: 60_000,
  });
  return page.evaluate(() => [...document.querySelectorAll('#results li.result')].map((li) => ({ id: li.dataset.clipId, score: Number(li.dataset.score) })));
}

for (const provider of ['wasm', 'webgpu']) {
  test(`onnxruntime-web ${provider}: every tower output matches the tfjs model within ${PARITY}, and the ranking is Node's`, async () => {
    const { page, status } = await openPage(provider);
    try {
      assert.equal(await page.evaluate(() => document.body.dataset.engine), 'onnx');
      assert.equal(await page.evaluate(() => document.body.dataset.backend), provider);
      assert.match(status, new RegExp(`^onnxruntime-web ${provider}`));
      const got = await page.evaluate((captions) => window.vattDemo.embedHeldout(captions), node.captions);
      const errors = {};
      for (const tower of ['video', 'audio', 'text']) {
        for (const [k, m] of Object.entries(node.out[tower])) errors[`${tower}.${k}`] = maxAbs(got[tower][k], m.data);
      }
      console.log(
        `onnxruntime-web ${provider} vs tfjs (Node cpu), max abs error: ${Object.entries(errors)
          .map(([k, e]) => `${k} ${e.toExponential(2)}`)
          .join(', ')}`,
      );
      for (const [k, e] of Object.entries(errors)) assert.ok(e <= PARITY, `${provider} ${k}: max abs error ${e} > ${PARITY}`);
      const ranking = await search(page, node.captions[0]);
      assert.equal(ranking.length, node.ranking.length);
      assert.deepEqual(
        ranking.slice(0, 5).map((r) => r.id),
        node.ranking.slice(0, 5).map((r) => r.id),
      );
    } finally {
      await page.close();
    }
  });
}

test('videos dropped by the user are decoded and embedded in the page and ranked with the held-out clips', async () => {
  const files = [];
  for (const [name, colour, freq] of [
    ['my-red-clip.webm', 'red', 440],
    ['my-blue-clip.webm', 'blue', 660],
  ]) {
    const file = path.join(tmp, name);
    await run('ffmpeg', [
      ...[
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `color=c=${colour}:s=96x64:r=10:d=3`,
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=${freq}:sample_rate=48000:duration=3`,
      ],
      ...['-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libopus', '-shortest', file],
    ]);
    files.push(file);
  }
  const { page } = await openPage('wasm');
  try {
    await page.setInputFiles('#files', files);
    await page.waitForFunction(() => document.body.dataset.userVideos === '2' || document.body.dataset.state === 'error', null, { timeout: 120_000 });
    const status = await page.evaluate(() => document.getElementById('status')?.textContent);
    assert.match(status, /and 2 of your videos/);
    const ranking = await search(page, 'a red square');
    assert.equal(ranking.length, node.ranking.length + 2);
    const mine = ranking.filter((r) => r.id.startsWith('file:')).map((r) => r.id);
    assert.deepEqual(mine.sort(), ['file:my-blue-clip.webm', 'file:my-red-clip.webm']);
    assert.ok(ranking.every((r) => Number.isFinite(r.score)));
  } finally {
    await page.close();
  }
});
