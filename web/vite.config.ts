import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Builds web/dist, which the gateway serves at /. `npm run dev -w web` proxies the API to a running platform. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/.well-known': 'http://127.0.0.1:8080' } },
});
