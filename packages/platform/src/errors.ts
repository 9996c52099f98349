/** Input that passed the schema but not the database (e.g. an unknown dataset); names the field. */
export class StudyInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "StudyInputError";
  }
}

/** A study's fixed settings the trainer or the search space refuses: every problem, each by its path. */
export class FixedSettingsError extends Error {
  readonly issues: { path: (string | number)[]; message: string }[];
  constructor(issues: { path: (string | number)[]; message: string }[]) {
    const at = issues.map((i) => ({ path: ["fixed", ...i.path], message: i.message }));
    super(at.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    this.name = "FixedSettingsError";
    this.issues = at;
  }
}
