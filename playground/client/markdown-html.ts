import { parse } from 'discord-markdown-parser';

/** Names the renderer shows for mentions, looked up by id; null when unknown. */
export interface MentionNames {
  user(id: string): string | null;
  channel(id: string): string | null;
}

/** A parsed node of discord-markdown-parser's tree (its types are loose: every rule adds its own fields). */
type MarkdownNode = { readonly type: string; readonly [field: string]: unknown };

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (character) => HTML_ESCAPES[character] ?? character);
}

/**
 * Discord's timestamp styles (`<t:unix:style>`).
 * @see https://discord.com/developers/docs/reference#message-formatting-timestamp-styles
 */
const TIMESTAMP_STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  t: { timeStyle: 'short' },
  T: { timeStyle: 'medium' },
  d: { dateStyle: 'short' },
  D: { dateStyle: 'long' },
  f: { dateStyle: 'long', timeStyle: 'short' },
  F: { dateStyle: 'full', timeStyle: 'short' },
};

const RELATIVE_UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** A `<t:…>` timestamp as Discord's client writes it, `now` in ms for the relative style. */
export function formatTimestamp(unixSeconds: number, style: string, now: number): string {
  const date = new Date(unixSeconds * 1000);
  if (style === 'R') {
    const delta = unixSeconds - now / 1000;
    const [unit, seconds] = RELATIVE_UNITS.find(([, size]) => Math.abs(delta) >= size) ?? ['second', 1];
    return new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(Math.round(delta / seconds), unit);
  }
  return new Intl.DateTimeFormat('en', TIMESTAMP_STYLES[style] ?? TIMESTAMP_STYLES['f']).format(date);
}

function children(node: MarkdownNode, names: MentionNames, now: number): string {
  const content = node['content'];
  if (typeof content === 'string') return escapeHtml(content);
  if (Array.isArray(content)) return renderNodes(content as MarkdownNode[], names, now);
  return '';
}

/** Only web links become anchors; anything else (javascript:, data:) stays text. */
function safeHref(target: unknown): string | null {
  if (typeof target !== 'string') return null;
  try {
    const url = new URL(target);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function renderNode(node: MarkdownNode, names: MentionNames, now: number): string {
  const inner = () => children(node, names, now);
  const id = typeof node['id'] === 'string' ? node['id'] : '';
  switch (node.type) {
    case 'text':
      return inner();
    case 'br':
      return '<br>';
    case 'strong':
      return `<strong>${inner()}</strong>`;
    case 'em':
      return `<em>${inner()}</em>`;
    case 'underline':
      return `<u>${inner()}</u>`;
    case 'strikethrough':
      return `<s>${inner()}</s>`;
    case 'inlineCode':
      return `<code class="inline-code">${inner()}</code>`;
    case 'codeBlock': {
      const lang = typeof node['lang'] === 'string' ? node['lang'] : '';
      return `<pre class="code-block" data-lang="${escapeHtml(lang)}"><code>${inner()}</code></pre>`;
    }
    case 'blockQuote':
      return `<blockquote>${inner()}</blockquote>`;
    case 'spoiler':
      return `<span class="spoiler" title="Spoiler: click to reveal">${inner()}</span>`;
    case 'heading': {
      const level = Math.min(3, Math.max(1, Number(node['level']) || 1));
      return `<h${level}>${inner()}</h${level}>`;
    }
    case 'subtext':
      return `<small class="subtext">${inner()}</small>`;
    case 'link':
    case 'url':
    case 'autolink': {
      const href = safeHref(node['target']);
      const text = inner() || escapeHtml(String(node['target'] ?? ''));
      return href
        ? `<a href="${escapeHtml(href)}" rel="noreferrer noopener" target="_blank">${text}</a>`
        : text;
    }
    case 'user':
      return `<span class="mention">@${escapeHtml(names.user(id) ?? 'unknown-user')}</span>`;
    case 'channel':
      return `<span class="mention">#${escapeHtml(names.channel(id) ?? 'unknown')}</span>`;
    case 'role':
      return '<span class="mention">@role</span>';
    case 'everyone':
      return '<span class="mention">@everyone</span>';
    case 'here':
      return '<span class="mention">@here</span>';
    case 'emoji':
      return `<span class="emoji">:${escapeHtml(String(node['name'] ?? ''))}:</span>`;
    case 'twemoji':
      return escapeHtml(String(node['name'] ?? ''));
    case 'timestamp': {
      const seconds = Number(node['timestamp']);
      const style = typeof node['format'] === 'string' ? node['format'] : 'f';
      if (!Number.isFinite(seconds)) return '';
      const iso = new Date(seconds * 1000).toISOString();
      return `<time class="timestamp" datetime="${iso}">${escapeHtml(formatTimestamp(seconds, style, now))}</time>`;
    }
    case 'slashCommand':
      return `<span class="mention">/${escapeHtml(String(node['name'] ?? ''))}</span>`;
    default:
      return inner();
  }
}

function renderNodes(nodes: readonly MarkdownNode[], names: MentionNames, now: number): string {
  return nodes.map((node) => renderNode(node, names, now)).join('');
}

/**
 * Discord-flavoured markdown (spoilers, mentions, `<t:…>` timestamps, `-#` subtext, headings, code blocks) as
 * HTML, parsed by discord-markdown-parser. Text is escaped here; the page still sanitizes the result.
 */
export function renderMarkdownHtml(source: string, names: MentionNames, now: number): string {
  return renderNodes(parse(source, 'extended') as unknown as MarkdownNode[], names, now);
}
