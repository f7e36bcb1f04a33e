import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// random: the seeded stream alone (`@vatt/tokenizers/random`: no tfjs, no Node imports), for browser bundles of @vatt/data.
export default defineConfig(libraryConfig({ entry: { index: 'src/index.ts', random: 'src/random.ts' } }));
