// Vite: Preact through esbuild's automatic JSX runtime (no plugin). CMake passes --outDir
// (the build tree); `npm run build` alone writes dist/.
import { defineConfig } from 'vite';

export default defineConfig({
    esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
    build: { target: 'es2020', assetsDir: 'assets', emptyOutDir: true, modulePreload: { polyfill: false } },
    server: { proxy: { '/api': 'http://localhost:8000' } },
    test: { environment: 'node', include: ['src/**/*.test.js'] },
});
