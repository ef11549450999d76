// Shared syntax checks: resource names, host names, header names, regexes, ports.
import { isIP } from 'node:net';
import { FieldErrors } from '../field-error.js';

/** Resource names: DNS-style labels, as Kubernetes names (lowercase, digits, '-' and '.'). */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const HOST_LABEL = /^[a-z0-9]([-a-z0-9_]{0,61}[a-z0-9])?$/i;
/** RFC 9110 token, the characters allowed in a header name or a method. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function checkName(name: string, path: string, errors: FieldErrors): void {
  if (name === '') errors.add(path, 'is required');
  else if (!NAME.test(name)) {
    errors.add(path, `"${name}" is not a valid name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)`);
  }
}

export function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => HOST_LABEL.test(label));
}

/** A route or certificate host pattern: `*`, `*.suffix`, or an exact host name. */
export function checkHostPattern(host: string, path: string, errors: FieldErrors, allowAny = true): void {
  if (host === '*') {
    if (!allowAny) errors.add(path, '"*" is not allowed here');
    return;
  }
  const exact = host.startsWith('*.') ? host.slice(2) : host;
  if (!isHostName(exact)) errors.add(path, `"${host}" is not a valid host: use a name like "example.com" or a wildcard like "*.example.com"`);
}

/** An endpoint or listener address: an IP literal or a DNS name. */
export function checkAddress(address: string, path: string, errors: FieldErrors, ipOnly = false): void {
  if (address === '') errors.add(path, 'is required');
  else if (isIP(address) === 0 && (ipOnly || !isHostName(address))) {
    errors.add(path, ipOnly ? `"${address}" is not an IP address` : `"${address}" is not an IP address or host name`);
  }
}

/** An HTTP/2 :authority: a host name or IP literal (IPv6 in brackets), with an optional `:port`. */
export function checkAuthority(authority: string, path: string, errors: FieldErrors): void {
  const match = /^(?:\[([^\]]*)\]|([^:\[\]]*))(?::(\d{1,5}))?$/.exec(authority);
  const host = match?.[1] ?? match?.[2];
  const ipv6 = match?.[1] !== undefined;
  const validHost = host !== undefined && (ipv6 ? isIP(host) === 6 : isIP(host) === 4 || isHostName(host));
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!validHost || (port !== undefined && (port < 1 || port > 65535))) {
    errors.add(path, `"${authority}" is not a valid authority: use a host name or IP address, optionally with ":port"`);
  }
}

export function checkPort(port: number, path: string, errors: FieldErrors, allowZero = false): void {
  if (port === 0 && allowZero) return;
  if (port < 1 || port > 65535) errors.add(path, `must be between 1 and 65535, got ${port}`);
}

export function checkHeaderName(name: string, path: string, errors: FieldErrors): void {
  if (!TOKEN.test(name)) errors.add(path, `"${name}" is not a valid header name`);
}

export function checkToken(value: string, path: string, errors: FieldErrors, what: string): void {
  if (!TOKEN.test(value)) errors.add(path, `"${value}" is not a valid ${what}`);
}

export function checkRegex(source: string, path: string, errors: FieldErrors): void {
  try {
    new RegExp(source);
  } catch (err) {
    errors.add(path, `invalid regular expression "${source}": ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

export function checkPath(value: string, path: string, errors: FieldErrors): void {
  if (!value.startsWith('/')) errors.add(path, `must start with "/", got "${value}"`);
}

export function checkPercent(value: number, path: string, errors: FieldErrors): void {
  if (value > 100) errors.add(path, `must be at most 100, got ${value}`);
}
