/** A problem the start script reports and ends with: 2 for bad arguments or configuration, 1 otherwise. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
