import type { ScriptCall } from '../redis/index.js';

/**
 * The entry of a person's window index that their message's line made due (the window append says so, once per
 * window's age per person and channel). The first admission of theirs for the message writes it in its own
 * script (the same slot, `{u:<id>}`: one command fewer); when none does (nothing addressed, a joined follow-up,
 * a quota skip, a failed admission), it is written on its own after routing.
 */
export class DueUserIndex {
  /** An admission holds the step: written by it, or under way. */
  private claimed = false;

  constructor(
    readonly userId: string,
    /** The step, once the append resolved: null when no entry is due. */
    private readonly step: Promise<ScriptCall<void> | null>,
    private readonly writeApart: (step: ScriptCall<void>) => Promise<void>,
  ) {}

  /**
   * Runs `admit` with the step when it is due, the admission is this person's and no other admission holds it;
   * otherwise without. A failed `admit` gives the step back, for {@link writeIfLeft}.
   */
  async writeWith<T>(userId: string, admit: (step?: ScriptCall<void>) => Promise<T>): Promise<T> {
    const step = userId === this.userId && !this.claimed ? await this.step : null;
    // Checked again after the wait: another admission may have taken it meanwhile.
    if (step === null || this.claimed) return admit();
    this.claimed = true;
    try {
      return await admit(step);
    } catch (error) {
      this.claimed = false;
      throw error;
    }
  }

  /** After routing: writes the entry on its own when it is due and no admission wrote it. */
  async writeIfLeft(): Promise<void> {
    const step = await this.step;
    if (step !== null && !this.claimed) await this.writeApart(step);
  }
}
