/**
 * What the browser-demo tests share: Debian's Chromium with WebGPU on SwiftShader, a static server for the
 * built page and the folders it fetches, and the two expensive inputs, a pretrained checkpoint and the Vite
 * build of the page. `run-tests.mjs` makes those two once for all test files (VATT_DEMO_CHECKPOINT,
 * VATT_DEMO_PAGE); a test file run on its own makes its own.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const demoDir = fileURLToPath(new URL('.', import.meta.url));
export const repoRoot = path.resolve(demoDir, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];
const MIME = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.map': 'application/json',
  '.onnx': 'application/octet-stream',
};

/**
 * A static server on 127.0.0.1: `/<prefix>/*` from `mounts[prefix]` (e.g. `{ checkpoint: dir, onnx: dir }`),
 * everything else from the built page; no path leads outside its folder.
 */
export function serve(pageDir, mounts = {}) {
  const server = createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const prefix = Object.keys(mounts).find((p) => rel.startsWith(`/${p}/`));
    const [root, sub] = prefix ? [mounts[prefix], rel.slice(prefix.length + 2)] : [pageDir, rel === '/' ? 'index.html' : rel.slice(1)];
    const file = path.resolve(root, sub);
    if (!file.startsWith(path.resolve(root) + path.sep)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** VATT_DEMO_CHECKPOINT, or the newest checkpoint of a 40-step tiny pretraining run made under `tmp` (~15 s). */
export async function demoCheckpoint(tmp) {
  if (process.env.VATT_DEMO_CHECKPOINT) return process.env.VATT_DEMO_CHECKPOINT;
  const cli = path.join(repoRoot, 'packages/vatt/dist/cli.js');
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build first`);
  const run = path.join(tmp, 'run');
  await promisify(execFile)(process.execPath, [cli, 'pretrain', '--steps', '40', '--batch', '16', '--out', run, '--backend', 'wasm', '--quiet'], {
    cwd: repoRoot,
  });
  const dir = path.join(run, 'checkpoints');
  const names = (await readdir(dir)).filter((n) => /^ckpt-\d+$/.test(n)).sort();
  assert.ok(names.length, `no checkpoint in ${dir}`);
  return path.join(dir, names.at(-1));
}

/** VATT_DEMO_PAGE, or the demo page built with Vite into `tmp/page`. */
export async function demoPage(tmp) {
  if (process.env.VATT_DEMO_PAGE) return process.env.VATT_DEMO_PAGE;
  const { build } = await import('vite');
  const pageDir = path.join(tmp, 'page');
  await build({ configFile: path.join(demoDir, 'vite.config.ts'), logLevel: 'error', build: { outDir: pageDir } });
  return pageDir;
}
