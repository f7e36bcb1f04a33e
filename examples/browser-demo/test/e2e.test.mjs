/**
 * End-to-end test of the browser demo: builds the page with Vite, serves it and a VATT checkpoint on
 * 127.0.0.1, drives headless Chromium (Debian's /usr/bin/chromium through playwright-core; WebGPU on
 * SwiftShader), types a query and checks that the page's ranking of the held-out clips matches the one
 * the `vatt` package computes in Node for the same checkpoint and query.
 *
 * Run from the repository root after `npm run build`: `node --test examples/browser-demo/test/`.
 * Environment: VATT_DEMO_CHECKPOINT=<checkpoint dir> (and VATT_DEMO_PAGE=<built page>) reuse a checkpoint (a page) instead of
 * making one; `node browser-demo/run-tests.mjs` (npm test) makes both once for every test file
 * (~15 s); VATT_DEMO_SCREENSHOT=<file.png> (default examples/browser-demo/test-results/ranking.png).
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { chromium } from 'playwright-core';
import { embeddedSplits, encodeText, encodeVideo, loadVatt, similarity } from 'vatt';
import { CHROMIUM, CHROMIUM_ARGS, demoCheckpoint, demoDir, demoPage, serve } from '../harness.mjs';

/** Scores of the page and of Node may differ by float32 rounding on another backend, no more. */
const SCORE_TOLERANCE = 1e-3;
const TOP_K = 5;

let tmp;
let server;
let browser;
let checkpointDir;
let baseUrl;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'vatt-browser-demo-'));
  checkpointDir = await demoCheckpoint(tmp);
  server = await serve(await demoPage(tmp), { checkpoint: checkpointDir });
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  await tf.setBackend('cpu');
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** The ranking of the held-out clips for `query` computed in Node with the vatt package (cpu backend). */
async function nodeRanking(query) {
  const loaded = await loadVatt(checkpointDir);
  try {
    const { heldout } = embeddedSplits(loaded.preprocessing, loaded.training?.seed ?? 0);
    const video = await encodeVideo(
      loaded.model,
      loaded.preprocessor,
      heldout.map((c) => c.video),
    );
    const text = await encodeText(loaded.model, loaded.preprocessor, [query]);
    const scores = similarity(text.vt, video.vt);
    return { heldout, ranking: heldout.map((c, i) => ({ id: c.id, score: scores[i] })).sort((a, b) => b.score - a.score) };
  } finally {
    loaded.model.dispose();
  }
}

/** Opens the page, types `query`, and returns the page's backend and ranking. */
async function pageRanking(search, query, screenshot) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  try {
    await page.goto(`${baseUrl}?checkpoint=/checkpoint/${search}`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 });
    const state = await page.evaluate(() => [document.body.dataset.state, document.getElementById('status')?.textContent]);
    assert.equal(state[0], 'ready', `page did not become ready: ${state[1]}\n${problems.join('\n')}`);
    await page.fill('#query', query);
    await page.click('#search');
    await page.waitForFunction((q) => document.getElementById('results')?.dataset.query === q && document.body.dataset.state !== 'busy', query, {
      timeout: 30_000,
    });
    const result = await page.evaluate(() => ({
      backend: document.body.dataset.backend,
      status: document.getElementById('status')?.textContent,
      ranking: [...document.querySelectorAll('#results li.result')].map((li) => ({ id: li.dataset.clipId, score: Number(li.dataset.score) })),
    }));
    if (screenshot) {
      await mkdir(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot });
    }
    return { ...result, problems };
  } finally {
    await page.close();
  }
}

function assertSameRanking(page, node, label) {
  assert.equal(page.length, node.length, `${label}: the page ranks ${page.length} clips, Node ${node.length}`);
  assert.deepEqual(
    page.slice(0, TOP_K).map((r) => r.id),
    node.slice(0, TOP_K).map((r) => r.id),
    `${label}: top-${TOP_K} order differs`,
  );
  const nodeScore = new Map(node.map((r) => [r.id, r.score]));
  const worst = Math.max(...page.map((r) => Math.abs(r.score - nodeScore.get(r.id))));
  assert.ok(worst <= SCORE_TOLERANCE, `${label}: scores differ from Node by up to ${worst}`);
  return worst;
}

test('the page ranks the held-out clips for a typed query like the vatt package does in Node (WebGPU, then wasm)', async () => {
  const loaded = await loadVatt(checkpointDir);
  const query = embeddedSplits(loaded.preprocessing, loaded.training?.seed ?? 0).heldout[0].captions[0];
  loaded.model.dispose();
  const node = await nodeRanking(query);

  const screenshot = process.env.VATT_DEMO_SCREENSHOT ?? path.join(demoDir, 'test-results/ranking.png');
  const auto = await pageRanking('', query, screenshot);
  console.log(`query "${query}": page backend ${auto.backend} (${auto.status})`);
  assert.equal(auto.backend, 'webgpu', `Chromium did not run the page on WebGPU: ${auto.status}`);
  const errAuto = assertSameRanking(auto.ranking, node.ranking, auto.backend);
  assert.ok((await stat(screenshot)).size > 10_000, 'the screenshot is empty');

  const wasm = await pageRanking('&backend=wasm', query);
  assert.equal(wasm.backend, 'wasm');
  const errWasm = assertSameRanking(wasm.ranking, node.ranking, 'wasm');
  console.log(
    `top-${TOP_K}: ${node.ranking
      .slice(0, TOP_K)
      .map((r) => `${r.id} ${r.score.toFixed(4)}`)
      .join(', ')}; max |page - node| score: webgpu ${errAuto.toExponential(2)}, wasm ${errWasm.toExponential(2)}`,
  );
});
