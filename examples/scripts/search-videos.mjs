// Search your own videos with VATT: export a checkpoint to ONNX, embed a folder of video files on
// onnxruntime-node, then search it by text ("a dog barks in the rain") and by example (videos like this one).
//
//   node examples/scripts/search-videos.mjs [checkpoint-or-run] [videos-folder] [query...]   (after npm run build)
//
// Without a checkpoint it trains the tiny preset for 60 steps first (runs/main from `npm start` is better);
// without a folder it makes a few short clips with ffmpeg. The tiny model knows coloured shapes moving in
// four directions, so queries in those words work best; a released-size model is used the same way.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embedDataset, exportOnnx, openEmbedder, pretrain, readEmbeddingIndex, searchIndex, setupBackend } from 'vatt';

const [ckptArg, videosArg, ...queryWords] = process.argv.slice(2);
const work = mkdtempSync(path.join(tmpdir(), 'vatt-search-videos-'));
await setupBackend('cpu'); // tfjs only reads the checkpoint's weights for the export; onnxruntime embeds

// 1. A checkpoint: the one given, runs/main, or a 60-step tiny run.
let checkpoint = ckptArg ?? (existsSync('runs/main') ? 'runs/main' : undefined);
if (!checkpoint) {
  await setupBackend('wasm');
  console.log('no checkpoint given: pretraining the tiny preset for 60 steps on the embedded dataset ...');
  const { getExperiment, applyOverrides } = await import('vatt');
  const config = applyOverrides(getExperiment('tiny'), ['training.steps=60', 'schedule.warmupSteps=10', 'training.checkpointEvery=60']);
  checkpoint = path.join(work, 'run');
  await pretrain({ config, outDir: checkpoint });
  await setupBackend('cpu');
}

// 2. Export it: video.onnx, audio.onnx, text.onnx + manifest.json (configs, vocabulary). The folder alone embeds.
const onnxDir = path.join(work, 'onnx');
const manifest = await exportOnnx(checkpoint, onnxDir);
console.log(`exported ${checkpoint} -> ${onnxDir} (${Object.keys(manifest.towers).join(', ')})`);

// 3. A folder of videos: the one given, or a few made with ffmpeg.
let videos = videosArg;
if (!videos) {
  videos = path.join(work, 'videos');
  mkdirSync(videos, { recursive: true });
  // A 16 px square of a colour moving across a black 64 px frame for 3 s, with a tone.
  const square = (colour, x, y) => `color=c=black:s=64x64:r=10:d=3[bg];color=c=${colour}:s=16x16:r=10:d=3[fg];[bg][fg]overlay=x='${x}':y='${y}':shortest=1`;
  for (const [name, filter] of [
    ['red-square-left.webm', square('red', '40-10*t', '24')],
    ['blue-square-up.webm', square('blue', '24', '40-10*t')],
    ['green-square-right.webm', square('green', '8+10*t', '24')],
    ['red-square-right.webm', square('red', '8+10*t', '24')],
  ]) {
    const r = spawnSync(
      'ffmpeg',
      ['-v', 'error', '-y', '-f', 'lavfi', '-i', filter, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-shortest', path.join(videos, name)],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  }
}

// 4. Embed every video (streaming, batched, resumable; one row per clip in .npy files numpy reads).
const embedder = await openEmbedder(onnxDir); // an exported folder: the onnx engine, intra-op threads = cores
const indexDir = path.join(work, 'index');
const info = await embedDataset(embedder, videos, indexDir, {
  modelSource: onnxDir,
  onProgress: (p) => process.stdout.write(`\rembedding ${p.done}/${p.total} videos`),
  onSkip: (id, reason) => console.log(`\nskipped ${id}: ${reason}`),
});
console.log(`\n${info.count} videos embedded with ${embedder.description} into ${indexDir}`);

// 5. Search it: text -> video in S_vt, then videos like the best hit in S_va.
const index = await readEmbeddingIndex(indexDir);
const query = queryWords.length ? queryWords.join(' ') : 'a red square moving left';
const hits = await searchIndex(index, embedder, { text: query }, { top: 5 });
console.log(`\n"${query}":`);
for (const h of hits) console.log(`  ${h.rank}. ${h.score.toFixed(4)}  ${h.entry.id}`);
const like = await searchIndex(index, embedder, { like: hits[0].entry.id }, { top: 3 });
console.log(`\nvideos like ${hits[0].entry.id}:`);
for (const h of like) console.log(`  ${h.rank}. ${h.score.toFixed(4)}  ${h.entry.id}`);
await embedder.dispose();
console.log(`\nthe same from the command line:\n  npx vatt search ${indexDir} "${query}" --top 5`);
