// Builds the console (src/web) into dist/web, which `conduit serve` serves at /. `npm run build:web`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Everything is bundled and served by Conduit itself: no CDN, no external fonts.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npx vite --config src/web/vite.config.ts` during development, with `conduit serve` on :8080.
    proxy: { '/elements/api-v2': 'http://127.0.0.1:8080' },
  },
});
