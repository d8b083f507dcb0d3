import { expect, test } from "vitest";
import { Teardown } from "../../harness/base/lifecycle/teardown.js";

test("runs steps last-first, all of them even when some fail, and reports every failure", async () => {
  const order: string[] = [];
  const teardown = new Teardown();
  teardown.defer("a", () => void order.push("a"));
  teardown.defer("b", () => {
    order.push("b");
    throw new Error("b broke");
  });
  teardown.defer("c", async () => void order.push("c"));
  const error = await teardown.run().then(() => undefined, (e: unknown) => e);
  expect(order).toEqual(["c", "b", "a"]);
  expect(error).toBeInstanceOf(AggregateError);
  expect((error as AggregateError).errors).toHaveLength(1);
});

test("is idempotent and AsyncDisposable", async () => {
  let count = 0;
  {
    await using teardown = new Teardown();
    teardown.defer("count", () => void count++);
    await teardown.run();
  }
  expect(count).toBe(1);
});
