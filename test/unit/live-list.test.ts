import { describe, expect, test } from "vitest";
import { LiveList } from "../../harness/base/lifecycle/live-list.js";
import { LiveRequests } from "../../harness/traffic/request.js";

describe("LiveList", () => {
  test("members come and go in any order; size and values follow", () => {
    const list = new LiveList<number>();
    const nodes = [1, 2, 3, 4, 5].map((n) => list.add(n));
    expect(list.size).toBe(5);
    list.remove(nodes[2]!); // middle
    list.remove(nodes[4]!); // head (newest)
    list.remove(nodes[0]!); // tail (oldest)
    expect(list.values()).toEqual([4, 2]);
    expect(list.size).toBe(2);
    list.remove(nodes[2]!); // already gone: nothing happens
    expect(list.size).toBe(2);
    list.add(6);
    expect(list.values()).toEqual([6, 4, 2]);
  });

  test("drain empties the list and returns what was in it; handles of drained members stay harmless", () => {
    const list = new LiveList<string>();
    const a = list.add("a");
    list.add("b");
    expect(list.drain()).toEqual(["b", "a"]);
    expect(list.size).toBe(0);
    expect(list.values()).toEqual([]);
    list.remove(a);
    const c = list.add("c");
    expect(list.values()).toEqual(["c"]);
    list.remove(c);
    expect(list.size).toBe(0);
  });

  test("10,000 members added and removed leave nothing behind", () => {
    const list = new LiveList<number>();
    const nodes = Array.from({ length: 10_000 }, (_, i) => list.add(i));
    for (let i = 0; i < nodes.length; i += 2) list.remove(nodes[i]!);
    expect(list.size).toBe(5_000);
    expect(list.values().every((v) => v % 2 === 1)).toBe(true);
    for (let i = 1; i < nodes.length; i += 2) list.remove(nodes[i]!);
    expect(list.size).toBe(0);
  });
});

describe("LiveRequests", () => {
  test("cancelAll cancels every live item once; items added later are cancelled at once", () => {
    const live = new LiveRequests();
    const cancelled: string[] = [];
    const item = (name: string) => ({ cancel: () => void cancelled.push(name) });
    const a = live.add(item("a"));
    live.add(item("b"));
    live.delete(a);
    expect(live.size).toBe(1);
    live.cancelAll();
    expect(cancelled).toEqual(["b"]);
    expect(live.cancelled).toBe(true);
    expect(live.add(item("late"))).toBeUndefined();
    expect(cancelled).toEqual(["b", "late"]);
    live.cancelAll();
    expect(cancelled).toEqual(["b", "late"]);
    expect(live.size).toBe(0);
  });
});
