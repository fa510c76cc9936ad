import { readFileSync } from 'node:fs';
import { z } from 'zod';

const PackageJsonSchema = z.object({ scripts: z.record(z.string(), z.string()) });

/** Characters that would make a script more than `node <arguments>`: a shell would interpret them. */
const SHELL_SYNTAX = /[$&|;<>'"`\\(){}*?]/;

/**
 * The arguments after `node` of a package.json script that is a plain `node [flags] <entry>` command (e.g.
 * `start:worker:prod`, with the worker's V8 heap flags), so a caller can run exactly what production runs with
 * its own Node and no npm or shell in between (either would stand between the process and its signals).
 */
export function readNodeScriptArguments(packageJsonPath: string, script: string): string[] {
  const { scripts } = PackageJsonSchema.parse(JSON.parse(readFileSync(packageJsonPath, 'utf8')));
  const command = scripts[script];
  const [program, ...args] = command?.trim().split(/\s+/) ?? [];
  if (program !== 'node' || args.length === 0 || SHELL_SYNTAX.test(command ?? '')) {
    throw new Error(
      `package.json script "${script}" is not a plain \`node [flags] <entry>\` command: ${command}`,
    );
  }
  return args;
}
