/**
 * Browser stand-ins for `path` and `url`. tsup's ESM shims put `import path from "path"` and
 * `import { fileURLToPath } from "url"` at the top of @vatt/transformer's dist file (to define
 * __dirname/__filename, which a page never calls). A production build drops them; Vite's dev server
 * would fail on them at import time, so vite.config.ts points both names here.
 */
const unavailable = (name: string) => (): never => {
  throw new Error(`${name} is not available in a browser`);
};
export const fileURLToPath = unavailable('url.fileURLToPath');
export const dirname = unavailable('path.dirname');
export default { fileURLToPath, dirname };
