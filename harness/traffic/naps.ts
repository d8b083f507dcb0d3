/**
 * Sleeps of closed-loop users and agent sessions between their requests: one abort listener for all
 * of them (not one each: thousands may think at once); a run that stops wakes them, and they see it
 * stopped.
 * @module
 */
import { LiveList } from "../base/lifecycle/live-list.js";

export class Naps {
  readonly #sleepers = new LiveList<() => void>();

  /** Resolves after `ms`, or when `wakeAll` is called. */
  nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.remove(node);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      const node = this.#sleepers.add(wake);
    });
  }

  /** Ends every nap now. */
  readonly wakeAll = (): void => this.#sleepers.drain().forEach((wake) => wake());
}
