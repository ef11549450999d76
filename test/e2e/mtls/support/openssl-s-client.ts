// `openssl s_client` against a port, as an operator would check what a listener serves: its output,
// and the subjectAltName of the first certificate it showed (through `openssl x509`).
import { execFile } from 'node:child_process';

function run(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 10_000, encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    child.stdin?.end(input);
  });
}

export async function opensslSClient(port: number, extra: string[]): Promise<{ output: string; serverSan: string }> {
  const output = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-showcerts', ...extra], '');
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(output)?.[0];
  const serverSan = pem === undefined ? '' : await run('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], pem);
  return { output, serverSan };
}
