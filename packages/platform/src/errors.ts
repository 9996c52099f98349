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
