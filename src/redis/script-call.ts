/**
 * One area's step as a script call, built but not sent: its KEYS and ARGV, and what to make of its reply. A
 * higher area's script that runs several steps of one slot in one call (including each area's Lua) takes them,
 * and hands each its share of the reply.
 */
export interface ScriptCall<T> {
  readonly keys: readonly string[];
  readonly args: ReadonlyArray<string | number>;
  /** Interprets the step's reply (and does what follows it, such as deleting what it dropped). */
  readonly finish: (reply: unknown) => Promise<T>;
}
