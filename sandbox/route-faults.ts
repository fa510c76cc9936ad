/** A fault to inject into matching REST requests. */
export interface RouteFault {
  /** HTTP method to match; any when absent. */
  readonly method?: string;
  /** Tested against the path after `/api/v10` (e.g. `/webhooks/123/abc`). */
  readonly pathPattern: RegExp;
  /** Answer with this status instead of handling the request; handled normally when absent. */
  readonly status?: number;
  /** JSON body of that answer; Discord's generic body for the status when absent. */
  readonly body?: unknown;
  /** Wait this long (ms) before answering or handling. */
  readonly delayMs?: number;
  /** Never answer (until the sandbox closes). */
  readonly hang?: boolean;
  /** Match this many requests, then remove itself; forever when absent. */
  readonly times?: number;
}

/** A live fault: how often it fired, and a way to remove it. */
export interface RouteFaultHandle {
  readonly hits: number;
  remove(): void;
}

interface ActiveFault {
  readonly fault: RouteFault;
  hits: number;
  removed: boolean;
}

/** Faults injected into REST routes, matched in insertion order; the first match fires. */
export class RouteFaults {
  readonly #active: ActiveFault[] = [];

  inject(fault: RouteFault): RouteFaultHandle {
    const active: ActiveFault = { fault, hits: 0, removed: false };
    this.#active.push(active);
    const remove = (): void => {
      active.removed = true;
      const index = this.#active.indexOf(active);
      if (index !== -1) this.#active.splice(index, 1);
    };
    return {
      get hits() {
        return active.hits;
      },
      remove,
    };
  }

  /** The fault for this request, counting the hit (and expiring it after `times`); null when none applies. */
  take(method: string, path: string): RouteFault | null {
    for (const active of this.#active) {
      const { fault } = active;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue;
      fault.pathPattern.lastIndex = 0;
      if (!fault.pathPattern.test(path)) continue;
      active.hits += 1;
      if (fault.times !== undefined && active.hits >= fault.times) {
        this.#active.splice(this.#active.indexOf(active), 1);
      }
      return fault;
    }
    return null;
  }

  clear(): void {
    this.#active.length = 0;
  }
}
