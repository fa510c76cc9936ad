import { h } from './element.js';

/**
 * A round avatar: the image when it loads, else the name's initials (offline, a personality's avatar URL may
 * not load at all).
 */
export function buildAvatar(name: string, initials: string, url: string | null): HTMLElement {
  const avatar = h('div', { class: 'avatar', title: name, 'data-initials': initials }, initials);
  if (url === null) return avatar;
  const image = h('img', { src: url, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' });
  image.addEventListener('load', () => avatar.replaceChildren(image));
  image.addEventListener('error', () => image.remove());
  return avatar;
}
