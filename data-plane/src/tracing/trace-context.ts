// The trace context a request arrives with, and the one it leaves with. W3C trace context
// (`traceparent`, `tracestate`) in and out; B3 (Zipkin's single `b3` header or `x-b3-*` headers) read
// when no traceparent came, so callers instrumented for Zipkin still join the trace. B3 headers are
// passed on untouched; the proxy writes W3C only.
import type { HeaderList } from '../protocols/header-list.js';

export interface TraceContext {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** The caller's span: 16 lowercase hex digits. */
  readonly spanId: string;
  /** The caller's decision: true sampled, false not; undefined none (B3 without a sampled flag). */
  readonly sampled: boolean | undefined;
  /** W3C tracestate, passed on as it came; '' for none. */
  readonly traceState: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const HEX_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;

/**
 * The context of the request's headers, or undefined when none is valid (then the proxy starts a trace).
 * One pass over the headers whatever they hold: this runs for every request while tracing is on.
 */
export function extractTraceContext(headers: HeaderList): TraceContext | undefined {
  const raw = headers.raw;
  let parent: string | undefined;
  let state: string | undefined;
  let b3: string | undefined;
  let b3Trace: string | undefined;
  let b3Span: string | undefined;
  let b3Sampled: string | undefined;
  let b3Flags: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Every name we look for starts with t, b or x: most headers are passed over on one comparison.
    const c = name.charCodeAt(0);
    if (c !== 116 && c !== 98 && c !== 120) continue;
    if (name === 'traceparent') parent ??= raw[i + 1];
    else if (name === 'tracestate') state ??= raw[i + 1];
    else if (name === 'b3') b3 ??= raw[i + 1];
    else if (name === 'x-b3-traceid') b3Trace ??= raw[i + 1];
    else if (name === 'x-b3-spanid') b3Span ??= raw[i + 1];
    else if (name === 'x-b3-sampled') b3Sampled ??= raw[i + 1];
    else if (name === 'x-b3-flags') b3Flags ??= raw[i + 1];
  }
  if (parent !== undefined) return parseTraceparent(parent, state ?? '');
  if (b3 !== undefined) return parseB3Single(b3);
  return b3Trace === undefined ? undefined : fromB3(b3Trace, b3Span ?? '', b3Sampled ?? b3Flags);
}

/** W3C trace context level 1: version 00, or a later version read as 00 (its first four fields). */
export function parseTraceparent(value: string, traceState = ''): TraceContext | undefined {
  const m = TRACEPARENT.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1, traceState };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** `b3: {traceid}-{spanid}[-{sampled}[-{parentspanid}]]`, or `b3: {sampled}` alone (a decision without ids: ignored). */
function parseB3Single(value: string): TraceContext | undefined {
  const [traceId = '', spanId = '', sampled] = value.trim().split('-');
  return fromB3(traceId, spanId, sampled);
}

function fromB3(traceId: string, spanId: string, sampled: string | undefined): TraceContext | undefined {
  const id = traceId.trim().toLowerCase();
  const span = spanId.trim().toLowerCase();
  if (!HEX_ID.test(id) || !SPAN_ID.test(span) || ZEROS.test(id) || ZEROS.test(span)) return undefined;
  // A 64-bit B3 trace id is the low half of a 128-bit W3C one.
  return { traceId: id.padStart(32, '0'), spanId: span, sampled: b3Sampled(sampled), traceState: '' };
}

/** `1`, `true` and `d` (debug) sample; `0` and `false` do not; anything else leaves the decision open. */
function b3Sampled(value: string | undefined): boolean | undefined {
  switch (value?.trim().toLowerCase()) {
    case '1':
    case 'true':
    case 'd':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      return undefined;
  }
}
