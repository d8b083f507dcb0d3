/**
 * A LIFO stack of clean-up steps (Node 20 has no `AsyncDisposableStack`).
 * Every step runs even when earlier ones fail; failures are collected into one `AggregateError`.
 * @module
 */

export type CleanupStep = () => void | PromiseLike<void>;

/**
 * @example
 * await using teardown = new Teardown();
 * const server = await startServer();
 * teardown.defer("server", () => server.close());
 */
export class Teardown implements AsyncDisposable {
  readonly #steps: { label: string; step: CleanupStep }[] = [];
  #running: Promise<void> | undefined;

  /** Registers `step`; steps run in reverse order of registration. */
  defer(label: string, step: CleanupStep): void {
    this.#steps.push({ label, step });
  }

  /** Registers an `AsyncDisposable` to be disposed. Returns it, for chaining. */
  use<T extends AsyncDisposable>(label: string, resource: T): T {
    this.defer(label, () => resource[Symbol.asyncDispose]());
    return resource;
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Runs every step, last first. Idempotent: a second call waits for the first. */
  run(): Promise<void> {
    this.#running ??= this.#drain();
    return this.#running;
  }

  async #drain(): Promise<void> {
    const errors: unknown[] = [];
    while (this.#steps.length > 0) {
      const { label, step } = this.#steps.pop()!;
      try {
        await step();
      } catch (err) {
        errors.push(new Error(`teardown step "${label}" failed`, { cause: err }));
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} teardown step(s) failed`);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.run();
  }
}
