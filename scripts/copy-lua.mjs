// The TypeScript build emits only JS; Lua scripts are copied beside it so `import.meta.url` paths resolve in dist/.
// Each lua/ folder is replaced, not merged: the script loader registers every file it finds there, so a script
// renamed or deleted in src/ must not live on in dist/.
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

function copyLua(directory) {
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) {
      if (entry === 'lua') {
        rmSync(join('dist', path), { recursive: true, force: true });
        cpSync(path, join('dist', path), { recursive: true });
      } else copyLua(path);
    }
  }
}
copyLua('src');
