// The TypeScript build emits only JS; Lua scripts are copied beside it so `import.meta.url` paths resolve in dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function copyLua(directory) {
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) {
      if (entry === 'lua') cpSync(path, join('dist', path), { recursive: true });
      else copyLua(path);
    }
  }
}
copyLua('src');
