// External trials from the Python client (clients/python/tests/test_external.py): ask, report,
// heartbeat in a thread, a prune the study's scheduler orders, tell values / predictions / PRUNED /
// FAIL, against a real server.
import { describe, expect, it } from "vitest";
import { pythonTestHarness, runClientTests } from "./python-harness.test-helpers";

describe("external trials from the Python client", () => {
  const py = pythonTestHarness("pyext");

  it("passes tests/test_external.py against a real server", async () => {
    const result = await runClientTests(py, "test_external.py", [
      "studies:read",
      "studies:write",
      "trials:write",
      "datasets:write",
    ]);
    expect(result.output).toMatch(/Ran 3 tests/);
    expect(result.code, result.output).toBe(0);
  });
});
