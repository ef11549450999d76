// The Date header's value (RFC 9110 §6.6.1), formatted once a second rather than per response, as
// node:http does.
let cached: string | undefined;

/** Now, as an IMF-fixdate (`Mon, 07 Dec 2026 18:40:00 GMT`). */
export function httpDate(): string {
  if (cached === undefined) {
    const now = new Date();
    cached = now.toUTCString();
    setTimeout(forget, 1000 - now.getMilliseconds()).unref();
  }
  return cached;
}

function forget(): void {
  cached = undefined;
}
