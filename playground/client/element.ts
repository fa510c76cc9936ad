/** Attributes and listeners of an element built by {@link h}. */
type ElementProps = Readonly<Record<string, string | boolean | EventListener | undefined>>;

/**
 * Builds an element: string props become attributes (booleans toggle them), `on<event>` props listeners.
 * Children are nodes or text (never parsed as HTML).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...kids: readonly (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const kid of kids) if (kid !== null) element.append(kid);
  return element;
}
