import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CLIENT_DIR = fileURLToPath(new URL('../client/', import.meta.url));

/** The page's files, served from memory. */
export interface ClientBundle {
  readonly html: string;
  readonly css: string;
  readonly script: string;
}

/** Bundles the page's TypeScript (and its markdown parser and sanitizer) with esbuild, once, at start. */
export async function buildClientBundle(): Promise<ClientBundle> {
  const [html, css, result] = await Promise.all([
    readFile(`${CLIENT_DIR}index.html`, 'utf8'),
    readFile(`${CLIENT_DIR}playground.css`, 'utf8'),
    build({
      entryPoints: [`${CLIENT_DIR}main.ts`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      sourcemap: 'inline',
      logLevel: 'silent',
    }),
  ]);
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error('playground: esbuild produced no client bundle');
  return { html, css, script };
}
