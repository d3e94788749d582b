/** Exit codes, after sysexits(3), so that scripts can tell what went wrong. */
export const EXIT = {
  ok: 0,
  /** Bad flags or arguments. */
  usage: 2,
  /** The input was read but is not what was expected (no format fits, a line that does not parse for `explain`). */
  dataError: 65,
  /** An input file does not exist or cannot be read. */
  noInput: 66,
  /** A tool or service that is needed is missing (e.g. nginx or wrk for a benchmark). */
  unavailable: 69,
  /** A bug: an error Moat did not expect. */
  software: 70,
  /** Writing output failed (disk full, closed pipe). */
  ioError: 74,
  /** Busy, try again later: another `moat serve` has the database, or the port is taken. */
  tempFail: 75,
} as const;

/** An error with a message for the user and the exit code it should end with. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = "CliError";
  }
}
