import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  formatTimestamp,
  type MentionNames,
  renderMarkdownHtml,
} from '../../../playground/client/markdown-html.js';

const NAMES: MentionNames = {
  user: (id) => (id === '100000000000000001' ? 'Maya' : null),
  channel: (id) => (id === '300000000000000001' ? 'general' : null),
};
const NOW = Date.UTC(2026, 11, 7, 12);

function render(source: string): string {
  return renderMarkdownHtml(source, NAMES, NOW);
}

describe('renderMarkdownHtml', () => {
  it.each([
    ['**bold** *em* __under__ ~~gone~~', '<strong>bold</strong> <em>em</em> <u>under</u> <s>gone</s>'],
    ['`x < y`', '<code class="inline-code">x &lt; y</code>'],
    ['||secret||', '<span class="spoiler" title="Spoiler: click to reveal">secret</span>'],
    [
      '<@100000000000000001> in <#300000000000000001>',
      '<span class="mention">@Maya</span> in <span class="mention">#general</span>',
    ],
    ['<@100000000000000009>', '<span class="mention">@unknown-user</span>'],
    ['-# small print', '<small class="subtext">small print</small>'],
    ['> quoted', '<blockquote>quoted</blockquote>'],
  ])('renders %j as Discord does', (source, html) => {
    expect(render(source)).toBe(html);
  });

  it('keeps a code block verbatim, markdown and HTML inside it escaped', () => {
    expect(render('```js\nconst a = "<b>**no**</b>";\n```')).toBe(
      '<pre class="code-block" data-lang="js"><code>const a = &quot;&lt;b&gt;**no**&lt;/b&gt;&quot;;</code></pre>',
    );
  });

  it('escapes HTML written in a message', () => {
    expect(render('<img src=x onerror=alert(1)>')).not.toContain('<img');
  });

  it('links web URLs and leaves other schemes as text', () => {
    expect(render('[docs](https://example.com/a)')).toBe(
      '<a href="https://example.com/a" rel="noreferrer noopener" target="_blank">docs</a>',
    );
    expect(render('[click](javascript:alert(1))')).not.toContain('href');
  });

  it('renders a <t:…> timestamp as a time element', () => {
    const seconds = NOW / 1000 - 3 * 3600;
    expect(render(`<t:${seconds}:R>`)).toBe(
      `<time class="timestamp" datetime="${new Date(seconds * 1000).toISOString()}">3 hours ago</time>`,
    );
  });
});

describe('formatTimestamp', () => {
  it.each([
    [NOW / 1000 + 120, 'R', 'in 2 minutes'],
    [NOW / 1000 - 86_400 * 2, 'R', '2 days ago'],
  ])('formats %d with style %s as %j', (seconds, style, text) => {
    expect(formatTimestamp(seconds, style, NOW)).toBe(text);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
