import DOMPurify from 'dompurify';
import { type MentionNames, renderMarkdownHtml } from './markdown-html.js';

/** What rendered markdown may hold: the tags the renderer writes, nothing else. */
const SANITIZE = {
  ALLOWED_TAGS: [
    'a',
    'blockquote',
    'br',
    'code',
    'em',
    'h1',
    'h2',
    'h3',
    'pre',
    's',
    'small',
    'span',
    'strong',
    'time',
    'u',
  ],
  ALLOWED_ATTR: ['class', 'href', 'rel', 'target', 'title', 'datetime', 'data-lang'],
};

/** A message's content as sanitized HTML, in a `div.content`; spoilers reveal on click. */
export function buildMessageContent(content: string, names: MentionNames): HTMLElement {
  const element = document.createElement('div');
  element.className = 'content';
  element.innerHTML = DOMPurify.sanitize(renderMarkdownHtml(content, names, Date.now()), SANITIZE);
  element.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('.spoiler') : null;
    target?.classList.add('revealed');
  });
  return element;
}
