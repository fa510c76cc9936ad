/** One user's demand and the service it got over a window. */
export interface UserService {
  /** Jobs the user had waiting when the window opened. */
  readonly demand: number;
  /** Jobs of the user completed within the window. */
  readonly served: number;
}

/**
 * Max-min fair shares of `capacity` completions among users with these demands (water-filling): every user
 * gets an equal share, capped at its demand, and what a capped user leaves is split among the others.
 */
export function computeFairShares(demands: readonly number[], capacity: number): number[] {
  const shares = demands.map(() => 0);
  let remaining = capacity;
  let open = demands.map((_, index) => index).filter((index) => demands[index]! > 0);
  while (remaining > 1e-9 && open.length > 0) {
    const equal = remaining / open.length;
    const stillOpen: number[] = [];
    for (const index of open) {
      const give = Math.min(equal, demands[index]! - shares[index]!);
      shares[index]! += give;
      remaining -= give;
      if (demands[index]! - shares[index]! > 1e-9) stillOpen.push(index);
    }
    open = stillOpen;
  }
  return shares;
}

/**
 * Jain's fairness index of per-user service normalised by each user's max-min fair share of the same window:
 * `(Σx)² / (n·Σx²)` with `x = served / fairShare`. 1 means every user got exactly its fair share; `1/n` means
 * one user got everything. Users with no demand are left out.
 */
export function computeJainIndex(users: readonly UserService[]): number {
  const active = users.filter((user) => user.demand > 0);
  if (active.length === 0) return Number.NaN;
  const capacity = active.reduce((sum, user) => sum + user.served, 0);
  const shares = computeFairShares(
    active.map((user) => user.demand),
    capacity,
  );
  const normalised = active.map((user, index) => (shares[index]! > 0 ? user.served / shares[index]! : 0));
  const sum = normalised.reduce((total, value) => total + value, 0);
  const squares = normalised.reduce((total, value) => total + value * value, 0);
  return squares === 0 ? 0 : (sum * sum) / (active.length * squares);
}
