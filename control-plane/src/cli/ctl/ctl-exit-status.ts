// A ctl command that ends with output on stdout and an exit status other than 0 without having failed:
// `ctl diff` exits 1 when it found differences, as diff(1) and kubectl diff do.
export class CtlExitStatus extends Error {
  constructor(readonly output: string, readonly exitCode: number) {
    super(`exit status ${exitCode}`);
    this.name = 'CtlExitStatus';
  }
}
