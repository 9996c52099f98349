// The runner process: `npm start -w @hyperensemble/gpu-runner` (env: see env.ts).
import { loadRunnerEnv } from "./env.ts";
import { startRunner } from "./runner.ts";

const runner = await startRunner(loadRunnerEnv());
const stop = (signal: string) => {
  runner.stop(signal).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
