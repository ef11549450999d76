// A mistake in the command line: `sluice` prints it with the command's usage and exits with status 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
