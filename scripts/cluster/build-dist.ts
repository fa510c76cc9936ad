import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let build: Promise<void> | undefined;

/**
 * Builds dist/ with `npm run build` (what the Docker image runs), once per process: every Chorus process the
 * caller then starts from dist/ runs the source as it was at the first call, never an older build, and a long run
 * (the bench) is not rebuilt under its own feet when someone edits a file meanwhile. Rejects with the compiler's
 * output when the build fails.
 */
export function buildDistOnce(): Promise<void> {
  build ??= new Promise((resolve, reject) => {
    execFile('npm', ['run', '--silent', 'build'], { cwd: ROOT }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm run build failed:\n${stdout}${stderr}`, { cause: error }));
      else resolve();
    });
  });
  return build;
}
