import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The admin is served by Flask at "/", so assets are absolute ("/assets/...") and the
// build lands in the Python package (pushtask/web), which is regenerated, never committed.
export default defineConfig({
  base: '/',
  plugins: [
    vue(),
    // Element Plus components are imported where a template uses them, so each route chunk
    // carries only the components it needs and the first screen stays small.
    Components({
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
      dts: false,
    }),
  ],
  build: {
    outDir: '../pushtask/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 600,
  },
  // `npm run preview` answers with the server's Content-Security-Policy (pushtask/app.py), so the
  // e2e run proves the build needs no eval, inline script or foreign origin.
  preview: {
    headers: {
      'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: process.env.PUSHTASK_API_URL || 'http://127.0.0.1:8000', changeOrigin: true },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.js'],
  },
})
