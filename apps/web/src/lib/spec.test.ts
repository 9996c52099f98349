// The spec editor's checks are the API's: an unknown top-level field and a search space the trainer
// refuses are each named by path, with the line they sit on.
import { expect, it } from "vitest";
import { checkSpec } from "./spec";

it("names an unknown field and each trainer problem in the space by path and line", () => {
  const { spec, issues } = checkSpec(
    [
      "name: s",
      "replicas: 2",
      "trials: 1",
      "epochs: 50",
      "searchSpace:",
      "  optimiser: { type: categorical, choices: [adam] }",
      "  dropout: { type: float, low: 0, high: 0.8 }",
      "",
    ].join("\n"),
  );
  expect(spec).toBeUndefined();
  expect(issues).toEqual([
    {
      path: "epochs",
      message: expect.stringMatching(/^unknown field "epochs" \(did you mean maxEpochs\?\)/),
      line: 4,
    },
    {
      path: "searchSpace.optimiser",
      message: expect.stringMatching(/^unknown hyperparameter "optimiser" \(did you mean optimizer\?\)/),
      line: 6,
    },
    {
      path: "searchSpace.dropout.high",
      message: expect.stringMatching(/0\.8 is above the trainer's bound/),
      line: 7,
    },
  ]);
});
