import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative asset URLs: the built page works from any directory of a static server.
  base: './',
  resolve: {
    alias: [
      // The path/url imports of tsup's ESM shims (see src/node-stubs.ts).
      { find: /^(node:)?(path|url)$/, replacement: here('src/node-stubs.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
