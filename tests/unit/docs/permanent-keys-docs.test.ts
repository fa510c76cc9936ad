import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPermanentKeyFamilies } from '../../support/permanent-keys.js';

const GUARANTEES = new URL('../../../docs/guarantees.md', import.meta.url);

describe('docs/guarantees.md, What Redis keeps', () => {
  it('lists exactly the permanent key families the busy-period test allows', () => {
    const text = readFileSync(GUARANTEES, 'utf8');
    const section =
      /<!-- permanent-keys:start -->([\s\S]*)<!-- permanent-keys:end -->/u.exec(text)?.[1] ?? '';
    const documented = [...section.matchAll(/^- `([a-z-]+)`:/gmu)].map((match) => match[1]);
    expect(documented).toEqual(buildPermanentKeyFamilies('chorus').map((family) => family.name));
  });
});
