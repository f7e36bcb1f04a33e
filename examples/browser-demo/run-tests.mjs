// `npm test` of the browser demo: pretrains the checkpoint and builds the page once, then runs every test
// file in browser-demo/test/ against them (node --test runs each file in its own process).
//
//   node browser-demo/run-tests.mjs      (from examples/, after `npm run build`)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoCheckpoint, demoDir, demoPage } from './harness.mjs';

const tmp = await mkdtemp(path.join(tmpdir(), 'vatt-browser-tests-'));
const status = await (async () => {
  try {
    const env = { ...process.env, VATT_DEMO_CHECKPOINT: await demoCheckpoint(tmp), VATT_DEMO_PAGE: await demoPage(tmp) };
    return spawnSync(process.execPath, ['--test', path.join(demoDir, 'test')], { env, stdio: 'inherit' }).status ?? 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
})();
process.exit(status);
