import type { Logger } from '../log/index.js';
import type { DeliveryLedger } from './delivery-ledger.js';

/** Who holds a stream's lease, for {@link StreamLeaseHolder}. */
export interface StreamLeaseScope {
  readonly userId: string;
  readonly jobId: string;
  /** The attempt's name in the ledger's claims. */
  readonly owner: string;
  readonly channelId: string;
}

/**
 * An attempt's hold on the lease of a streamed reply's messages (DeliveryLedger.leaseStream): renewed every
 * `claimRenewalMs` while the attempt works on them, given up when it is done. A renewal that finds another
 * attempt holding the lease (this one stalled past it) marks the hold lost and tells `onLost`: the attempt must
 * then write nothing more.
 */
export class StreamLeaseHolder implements Disposable {
  #timer: NodeJS.Timeout | null = null;
  #leaseUntil = 0;
  #lostUntil: number | null = null;

  constructor(
    private readonly ledger: DeliveryLedger,
    private readonly scope: StreamLeaseScope,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly onLost: () => void = () => undefined,
  ) {}

  /** When another attempt took the lease, the end of its lease (Unix ms); null while this one holds it. */
  get lostUntil(): number | null {
    return this.#lostUntil;
  }

  /** Takes the lease (or finds another attempt's); true when held. Starts the renewals once held. */
  async take(): Promise<boolean> {
    await this.renew();
    if (this.#lostUntil === null) this.start(this.#leaseUntil);
    return this.#lostUntil === null;
  }

  /** Starts the renewals of a lease a claim took until `leaseUntil` (claimStreamMessage). */
  start(leaseUntil: number): void {
    this.#leaseUntil = Math.max(this.#leaseUntil, leaseUntil);
    if (this.#timer !== null || this.#lostUntil !== null) return;
    this.#timer = setInterval(() => {
      this.renew().catch((error: unknown) =>
        this.log.warn({ err: error, channelId: this.scope.channelId }, 'stream lease not renewed'),
      );
    }, this.ledger.claimRenewalMs);
    this.#timer.unref();
  }

  /**
   * Makes sure the lease holds for at least half a lease more before a write (renewing it if the timer fell
   * behind): a write that starts then ends (15 s at most) before another attempt could take over. False when
   * lost.
   */
  async ensure(): Promise<boolean> {
    if (this.#lostUntil !== null) return false;
    // Three renewals per lease: half a lease is 1.5 renewal periods.
    if (this.#leaseUntil - this.now() < this.ledger.claimRenewalMs * 1.5) await this.renew();
    return this.#lostUntil === null;
  }

  /** Stops the renewals and gives the lease up, so the next attempt need not wait it out (never throws). */
  async release(): Promise<void> {
    this[Symbol.dispose]();
    if (this.#lostUntil !== null || this.#leaseUntil === 0) return;
    const { userId, jobId, owner, channelId } = this.scope;
    await this.ledger
      .releaseStream(userId, jobId, owner, this.now())
      .catch((error: unknown) => this.log.warn({ err: error, channelId }, 'stream lease not released'));
  }

  [Symbol.dispose](): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  private async renew(): Promise<void> {
    if (this.#lostUntil !== null) return;
    const { userId, jobId, owner } = this.scope;
    const lease = await this.ledger.leaseStream(userId, jobId, owner, this.now());
    if (lease.kind === 'held') {
      this.#leaseUntil = lease.leaseUntil;
      return;
    }
    this.#lostUntil = lease.leaseUntil;
    this[Symbol.dispose]();
    this.onLost();
  }
}
