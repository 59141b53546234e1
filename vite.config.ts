import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

// The service worker precaches the app shell only (HTML, JS, CSS, icons, the sample archive);
// image data lives in IndexedDB, never in the SW cache. Registration goes through
// workbox-window in src/ui/app/pwa.svelte.ts so the app can show its own update prompt.
export default defineConfig({
  plugins: [
    svelte(),
    VitePWA({
      strategies: 'generateSW',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false, // public/manifest.webmanifest is the one source (file_handlers etc.)
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,tar}'],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/proxy\//],
        cleanupOutdatedCaches: true,
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      },
    }),
  ],
  worker: { format: 'es' },
  // Source maps only when asked for (`npm start -- --sourcemaps` sets this): not shipped by default.
  build: { target: 'es2022', sourcemap: process.env.LAYERSCOPE_SOURCEMAP === '1' },
});
