/// <reference types="vitest/config" />
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// `npm run dev` serves the client on :5173 and proxies the API (HTTP and
// WebSocket) to a Sentichat on :8000, or to SENTICHAT_API when it is set.
const api = process.env.SENTICHAT_API ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: { '/graphql': { target: api, ws: true, changeOrigin: true } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
  test: {
    include: ['tests/**/*.spec.ts'],
    environment: 'happy-dom',
    restoreMocks: true,
  },
})
