/**
 * @vatt/data's browser media decoder (`@vatt/data/browser`: <video> + canvas, WebAudio) in headless
 * Chromium, checked against the ffmpeg back end on the same file: a WebM (VP8 + Opus) whose video is
 * red, then green, then blue for a second each, with a 1 kHz tone.
 *
 * Run from the repository root after `npm run build`: `node --test examples/browser-demo/test/`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';

import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { decodeAudio, decodeVideo, probeMedia } from '@vatt/data';
import { CHROMIUM } from '../harness.mjs';

const run = promisify(execFile);
const VIDEO = { fps: 10, width: 32, height: 24, numFrames: 30 };
const AUDIO = { sampleRate: 16000, start: 0.5, duration: 1 };
let dir;
let server;
let browser;

/** Mean R, G, B of each frame of rgb24 frames. */
function frameMeans(frames, n) {
  const per = frames.length / n;
  return Array.from({ length: n }, (_, t) => {
    const m = [0, 0, 0];
    for (let i = t * per; i < (t + 1) * per; i += 3) for (let c = 0; c < 3; c++) m[c] += frames[i + c];
    return m.map((x) => x / (per / 3));
  });
}

/** Frequency from the zero crossings of a tone. */
function toneFrequency(wave, sampleRate) {
  let crossings = 0;
  for (let i = 1; i < wave.length; i++) if (wave[i - 1] < 0 !== wave[i] < 0) crossings++;
  return (crossings / 2) * (sampleRate / wave.length);
}

const rms = (w) => Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vatt-browser-media-'));
  const clip = path.join(dir, 'clip.webm');
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=red:s=64x48:r=10:d=1',
    '-f',
    'lavfi',
    '-i',
    'color=c=lime:s=64x48:r=10:d=1',
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:s=64x48:r=10:d=1',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=1000:sample_rate=48000:duration=3',
    '-filter_complex',
    '[0][1][2]concat=n=3:v=1:a=0[v]',
    '-map',
    '[v]',
    '-map',
    '3',
    '-c:v',
    'libvpx',
    '-b:v',
    '400k',
    '-c:a',
    'libopus',
    clip,
  ]);
  await build({
    stdin: {
      contents: `import { browserMediaDecoder as d } from '@vatt/data/browser';
        window.decodeClip = async (url, video, audio) => {
          const info = await d.probeMedia(url);
          const v = await d.decodeVideo(url, video);
          const a = await d.decodeAudio(url, audio);
          return { info, frames: Array.from(v.frames), numFrames: v.numFrames, width: v.width, height: v.height, audio: Array.from(a) };
        };
        window.decodeMissing = () => d.decodeAudio('/missing.webm', {}).then(() => 'decoded', (e) => e.code + ': ' + e.message);
        window.decodeUnseekable = () =>
          d.decodeVideo('/norange/clip.webm', { fps: 10, numFrames: 20 }).then(() => 'decoded', (e) => e.code + ': ' + e.message);`,
      resolveDir: process.cwd(),
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: path.join(dir, 'page.js'),
    logLevel: 'silent',
  });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="page.js"></script>');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.webm': 'video/webm' };
  // Byte ranges as any static server serves them (browsers seek in media through Range requests);
  // under /norange/ without them, which the decoder must refuse to "seek" in.
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = path.basename(url.pathname) || 'index.html';
    let body;
    try {
      body = await readFile(path.join(dir, name));
    } catch {
      return void res.writeHead(404).end();
    }
    const type = types[path.extname(name)] ?? 'application/octet-stream';
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && !url.pathname.startsWith('/norange/')) {
      const start = range[1] ? Number(range[1]) : body.length - Number(range[2]);
      const end = range[1] && range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, {
        'content-type': type,
        'accept-ranges': 'bytes',
        'content-range': `bytes ${start}-${end}/${body.length}`,
        'content-length': end - start + 1,
      });
      return void res.end(body.subarray(start, end + 1));
    }
    res
      .writeHead(200, { 'content-type': type, 'content-length': body.length, ...(url.pathname.startsWith('/norange/') ? {} : { 'accept-ranges': 'bytes' }) })
      .end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the browser decoder gives the frames and sound ffmpeg gives, at the requested size, rate and window', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => typeof window.decodeClip === 'function');
    const got = await page.evaluate(([video, audio]) => window.decodeClip('/clip.webm', video, audio), [VIDEO, AUDIO]);
    const file = path.join(dir, 'clip.webm');
    const ref = await decodeVideo(file, VIDEO);
    const refAudio = await decodeAudio(file, AUDIO);
    const refInfo = await probeMedia(file);

    assert.ok(Math.abs(got.info.duration - refInfo.duration) < 0.1, `duration ${got.info.duration} vs ${refInfo.duration}`);
    assert.deepEqual([got.info.streams[0].width, got.info.streams[0].height], [64, 48]);
    assert.deepEqual([got.numFrames, got.width, got.height], [30, 32, 24]);
    const mine = frameMeans(got.frames, 30);
    const theirs = frameMeans(ref.frames, 30);
    // Red, then green, then blue; frames next to a change may land on either side of it.
    const colour = (m) => m.indexOf(Math.max(...m));
    for (const t of [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25, 26, 27, 28]) {
      assert.equal(colour(mine[t]), Math.floor(t / 10), `frame ${t}: ${mine[t].map(Math.round)}`);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(mine[t][c] - theirs[t][c]) < 12, `frame ${t} channel ${c}: ${mine[t][c]} vs ffmpeg ${theirs[t][c]}`);
    }
    assert.equal(got.audio.length, AUDIO.sampleRate * AUDIO.duration);
    assert.ok(Math.abs(toneFrequency(got.audio, AUDIO.sampleRate) - 1000) < 10, `tone at ${toneFrequency(got.audio, AUDIO.sampleRate)} Hz`);
    assert.ok(Math.abs(rms(got.audio) - rms(refAudio)) < 0.05 * rms(refAudio), `rms ${rms(got.audio)} vs ffmpeg ${rms(refAudio)}`);
    assert.match(await page.evaluate(() => window.decodeMissing()), /^file-not-found: could not fetch \/missing\.webm: HTTP 404/);
    assert.match(await page.evaluate(() => window.decodeUnseekable()), /^not-seekable: cannot seek to 0\.10 s in .*norange\/clip\.webm \(at 0\.00 s\)/);
  } finally {
    await page.close();
  }
});
