// The Python client (clients/python), installed with pip into a fresh venv, against a real server:
// studies, trials, datasets, exports, events and follow (tests/test_client.py). This file plays the
// runner: every WAITING trial of the org completes every 300 ms, so followed studies finish, and
// queued fits are run.
import { nextQueuedFit, runFit } from "@hyperensemble/platform";
import { describe, expect, it } from "vitest";
import { pythonTestHarness, runClientTests } from "./python-harness.test-helpers";
import { completeWaitingTrials } from "./runner-step.test-helpers";

const py = pythonTestHarness("py");

describe("the Python client", () => {
  it("passes tests/test_client.py against a real server", async () => {
    let running = true;
    const runner = (async () => {
      while (running) {
        const studies = await py.tdb.db.study.findMany({
          where: { orgId: py.s.org.id },
          select: { id: true },
        });
        for (const study of studies)
          await completeWaitingTrials(py.tdb.db, py.enqueuer, py.s.org.id, study.id);
        // and runs the final fits the client starts, as a runner's fit loop does
        const fitId = await nextQueuedFit(py.tdb.db);
        if (fitId) await runFit(py.tdb.db, fitId, { backend: "cpu" });
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const result = await runClientTests(py, "test_client.py", [
      "studies:read",
      "studies:write",
      "datasets:write",
      "exports:read",
    ]);
    running = false;
    await runner;
    expect(result.output).toMatch(/Ran 10 tests/);
    expect(result.code, result.output).toBe(0);
  });
});
