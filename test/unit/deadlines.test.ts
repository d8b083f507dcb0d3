import { describe, expect, test } from "vitest";
import { DeadlineQueue } from "../../harness/base/lifecycle/deadlines.js";

const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DeadlineQueue", () => {
  test("each deadline fires once, in the order set, never before its time", async () => {
    const queue = new DeadlineQueue(40);
    const fired: { name: string; late: number }[] = [];
    const add = (name: string) => {
      const at = performance.now() + 40;
      queue.add({ onDeadline: () => fired.push({ name, late: performance.now() - at }) });
    };
    add("a");
    await until(10);
    add("b");
    add("c");
    await until(100);
    expect(fired.map((f) => f.name)).toEqual(["a", "b", "c"]);
    expect(fired.every((f) => f.late >= 0 && f.late < 30)).toBe(true);
    expect(queue.size).toBe(0);
  });

  test("a cleared deadline does not fire; the next one still fires on time", async () => {
    const queue = new DeadlineQueue(30);
    const fired: string[] = [];
    const first = queue.add({ onDeadline: () => fired.push("first") });
    await until(10);
    const secondAt = performance.now() + 30;
    let secondLate = -1;
    queue.add({ onDeadline: () => ((secondLate = performance.now() - secondAt), fired.push("second")) });
    queue.clear(first);
    queue.clear(first); // twice: nothing more happens
    await until(80);
    expect(fired).toEqual(["second"]);
    expect(secondLate).toBeGreaterThanOrEqual(0);
    expect(secondLate).toBeLessThan(30);
  });

  test("an empty queue holds no timer; close clears what is pending", async () => {
    const handles = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = handles();
    const queue = new DeadlineQueue(60_000);
    const a = queue.add({ onDeadline: () => expect.fail("cleared") });
    const b = queue.add({ onDeadline: () => expect.fail("cleared") });
    expect(handles()).toBe(before + 1); // one timer for both
    queue.clear(a);
    expect(handles()).toBe(before + 1);
    queue.clear(b);
    expect(handles()).toBe(before);
    queue.add({ onDeadline: () => expect.fail("closed") });
    queue.close();
    expect(queue.size).toBe(0);
    expect(handles()).toBe(before);
  });

  test("a callback that sets a new deadline does not delay the ones already due next", async () => {
    const queue = new DeadlineQueue(30);
    const fired: string[] = [];
    queue.add({ onDeadline: () => (fired.push("a"), queue.add({ onDeadline: () => fired.push("c") })) });
    await until(5);
    queue.add({ onDeadline: () => fired.push("b") });
    await until(45);
    expect(fired).toEqual(["a", "b"]);
    await until(40);
    expect(fired).toEqual(["a", "b", "c"]);
  });
});
