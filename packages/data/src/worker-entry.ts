import { fileURLToPath } from 'node:url';

/** What the test setup installs (testing/worker-bundler.cjs): bundles a TypeScript worker entry, returns the file. */
type WorkerBundler = (entry: string) => string;

/**
 * The file to start a worker thread on (`new Worker(file)`) for one of the packages' worker entry points. From a
 * built package (`callerUrl`, the caller's `import.meta.url`, is a .js file) that is `built`, the worker bundle
 * tsup emits next to the caller. From TypeScript sources (the tests map `@vatt/*` to src/) there is no bundle:
 * `source` is handed to the bundler the test setup installs (testing/worker-bundler.cjs, a jest setup file).
 *
 * @example
 * const file = workerEntry(new URL('./worker.js', import.meta.url), new URL('./worker.ts', import.meta.url), import.meta.url);
 */
export function workerEntry(built: URL, source: URL, callerUrl: string): string {
  if (!fileURLToPath(callerUrl).endsWith('.ts')) return fileURLToPath(built);
  const bundle = (globalThis as { __vattBundleWorker?: WorkerBundler }).__vattBundleWorker;
  if (!bundle) {
    throw new Error(
      `${fileURLToPath(source)}: running from TypeScript sources, a worker thread needs the test setup's bundler ` +
        '(testing/worker-bundler.cjs in jest setupFiles); build the package (npm run build) to run it otherwise',
    );
  }
  return bundle(fileURLToPath(source));
}
