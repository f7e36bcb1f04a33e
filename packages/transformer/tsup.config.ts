import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

export default defineConfig(
  libraryConfig({
    // Bundle tfjs-core's gradient registrations (an ES-module tree Node cannot load as is); keep tfjs-core itself external.
    noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
    external: [/^@tensorflow\/tfjs-core$/, /^@vatt\//],
  }),
);
