import { trialStorageContract } from "./storage-contract.test-helpers.ts";
import { InMemoryTrialStorage } from "./study.ts";

let n = 0;
trialStorageContract("in memory", async () => {
  const storage = new InMemoryTrialStorage();
  return { a: storage, b: storage, studyId: `s${n++}` };
});
