/**
 * The cross-process lock port. A store owns one lock; `claimDueJobs()` is the
 * only runtime code that holds it, and only across claim-and-advance.
 *
 * @module
 */

/** Options for {@linkcode Lock.acquire}. */
export interface LockAcquireOptions {
  /** Gives up waiting (rejecting with the signal's reason) when aborted. */
  readonly signal?: AbortSignal;
}

/** A held lock. Disposing it (or calling `release()`) releases it once. */
export interface LockLease extends AsyncDisposable {
  /** True until the lease is released. */
  readonly held: boolean;
  /** Releases the lock; calling it again does nothing. */
  release(): Promise<void>;
}

/** A mutual-exclusion lock shared by every instance of one store. */
export interface Lock {
  /** Waits for the lock. */
  acquire(options?: LockAcquireOptions): Promise<LockLease>;
  /** Takes the lock if it is free; contention is not an error. */
  tryAcquire(): Promise<LockLease | undefined>;
}
