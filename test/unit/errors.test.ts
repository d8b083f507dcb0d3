import { expect, test } from "vitest";
import { errorCatalogue, HarnessError, isHarnessError, type HarnessErrorCode } from "../../harness/base/errors.js";

test.each(Object.entries(errorCatalogue))("%s has a stable code, a default message and exit code %o", (code, entry) => {
  const err = new HarnessError(code as HarnessErrorCode, { cause: new Error("inner") });
  expect(err.code).toBe(code);
  expect(err.name).toBe("HarnessError");
  expect(err.message).toBe(entry.message);
  expect(err.exitCode).toBe(entry.exitCode);
  expect(isHarnessError(err, code as HarnessErrorCode)).toBe(true);
  expect((err.cause as Error).message).toBe("inner");
});

test("exit codes follow DESIGN.md", () => {
  expect(new HarnessError("SCENARIO_INVALID").exitCode).toBe(2);
  expect(new HarnessError("TARGET_UNREACHABLE").exitCode).toBe(3);
  expect(new HarnessError("INTERRUPTED").exitCode).toBe(130);
});
