/** One page of a list: which slice to show and which paging buttons make sense. Pages count from 0. */
export interface PageWindow {
  /** The page shown: the requested one, clamped into range (a list may have shrunk since the button was sent). */
  readonly page: number;
  /** At least 1, so an empty list still has a page to say so on. */
  readonly pageCount: number;
  readonly offset: number;
  readonly limit: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
}

/** Computes the window of `page` over `total` items, `pageSize` per page. */
export function buildPageWindow(total: number, pageSize: number, page: number): PageWindow {
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer`);
  const safeTotal = Number.isFinite(total) ? Math.max(0, Math.floor(total)) : 0;
  const pageCount = Math.max(1, Math.ceil(safeTotal / pageSize));
  const requested = Number.isFinite(page) ? Math.floor(page) : 0;
  const shown = Math.min(Math.max(0, requested), pageCount - 1);
  const offset = shown * pageSize;
  return {
    page: shown,
    pageCount,
    offset,
    limit: Math.min(pageSize, Math.max(0, safeTotal - offset)),
    hasPrevious: shown > 0,
    hasNext: shown < pageCount - 1,
  };
}
