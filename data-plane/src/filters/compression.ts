// Built-in filter `compression`: compresses response bodies on their way to the client with the best
// coding both sides accept (Envoy's compressor filter, nginx's gzip), as they stream: the body is
// never held whole, and each piece the upstream sends is flushed to the client at once, so streamed
// responses (server-sent events, long polls) are not held back.
// config: { encodings: ["br", "gzip"], contentTypes: ["text/*", "application/json", ...],
//           minLength: 1024, gzipLevel: 6, brotliQuality: 4 }
import type { JsonObject } from '@bufbuild/protobuf';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { isGrpc } from '../protocols/grpc.js';
import type { HeaderList } from '../protocols/header-list.js';
import type { HttpFilter } from '../proxy/proxy-http.js';
import type { Session } from '../proxy/session.js';
import { negotiateEncoding } from './accept-encoding.js';
import { compressionStats } from './compression-stats.js';
import { FilterConfigError, int, strList } from './filter-config.js';

/** Types whose bodies are text (or like it) and shrink well; images, video and archives are compressed already. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = Object.freeze([
  'text/*',
  'application/json',
  'application/javascript',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/ld+json',
  'application/manifest+json',
  'application/problem+json',
  'application/wasm',
  'image/svg+xml',
]);

/**
 * Below this a body saves less than a packet's worth and costs a compressor's set-up (about 300 KB
 * of memory for gzip); nginx and Envoy default to 20 and 30 bytes, CDNs to about 1 KB.
 */
export const DEFAULT_MIN_LENGTH = 1024;

type CompressorFactory = (level: number, sizeHint: number) => Transform & { readonly bytesWritten: number };

/** zstd exists in node:zlib from Node 22.15 / 23.8; this Node may not have it. */
const zstd = zlib as unknown as { createZstdCompress?: (options: object) => Transform & { readonly bytesWritten: number } };
const ZSTD_FLUSH = (zlib.constants as unknown as Record<string, number>).ZSTD_e_flush;
const ZSTD_LEVEL = (zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel;

/** Each write (a piece of upstream body) is flushed: the client gets what the upstream sent without waiting for more. */
const COMPRESSORS: Readonly<Record<string, CompressorFactory | undefined>> = {
  gzip: (level) => zlib.createGzip({ level, flush: zlib.constants.Z_SYNC_FLUSH }),
  br: (quality, sizeHint) =>
    zlib.createBrotliCompress({
      flush: zlib.constants.BROTLI_OPERATION_FLUSH,
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        // A 256 KiB window as Envoy's default: brotli's own (4 MiB) costs that much memory per response.
        [zlib.constants.BROTLI_PARAM_LGWIN]: 18,
        ...(sizeHint > 0 ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } : {}),
      },
    }),
  zstd: zstd.createZstdCompress === undefined ? undefined : (level) => zstd.createZstdCompress!({ flush: ZSTD_FLUSH, params: { [ZSTD_LEVEL!]: level } }),
};

interface CompressionSettings {
  /** Codings offered, most preferred first. */
  readonly encodings: readonly string[];
  readonly exactTypes: ReadonlySet<string>;
  /** `text/*` as `text/`. */
  readonly typePrefixes: readonly string[];
  readonly minLength: number;
  readonly levels: Readonly<Record<string, number>>;
}

export function compression(config: JsonObject): HttpFilter {
  const settings = readSettings(config);
  return {
    name: 'compression',
    responseBodyTransform(session, response) {
      const headers = response.headers;
      if (!compressible(session, response.status, headers, settings)) return undefined;
      // The answer depends on Accept-Encoding from here on, whether compressed or not: caches must know.
      addVary(headers);
      const encoding = negotiateEncoding(joined(session.headers.getAll('accept-encoding')), settings.encodings);
      if (encoding === undefined) return undefined;
      const length = contentLength(headers);
      // The engine drops Content-Length when a Transform is returned: the body goes chunked (HTTP/1.1).
      headers.set('content-encoding', encoding);
      weakenEtag(headers);
      const stream = COMPRESSORS[encoding]!(settings.levels[encoding]!, length);
      compressionStats.track(encoding, stream);
      return stream;
    },
  };
}

function readSettings(config: JsonObject): CompressionSettings {
  const encodings = strList(config, 'encodings', ['br', 'gzip']).map((e) => e.toLowerCase());
  if (encodings.length === 0) throw new FilterConfigError('encodings', 'must name at least one of br, gzip, zstd');
  for (const e of encodings) {
    if (!(e in COMPRESSORS)) throw new FilterConfigError('encodings', `unknown coding "${e}" (known: br, gzip, zstd)`);
    if (COMPRESSORS[e] === undefined) throw new FilterConfigError('encodings', `${e} is not available in this Node (${process.version}); it needs 22.15 or later`);
  }
  if (new Set(encodings).size !== encodings.length) throw new FilterConfigError('encodings', 'names a coding twice');
  const exactTypes = new Set<string>();
  const typePrefixes: string[] = [];
  for (const t of strList(config, 'contentTypes', DEFAULT_CONTENT_TYPES)) {
    const type = t.trim().toLowerCase();
    if (!/^[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+)$/.test(type)) throw new FilterConfigError('contentTypes', `"${t}" is not a media type like text/html or text/*`);
    if (type.endsWith('/*')) typePrefixes.push(type.slice(0, -1));
    else exactTypes.add(type);
  }
  return {
    encodings,
    exactTypes,
    typePrefixes,
    minLength: int(config, 'minLength', DEFAULT_MIN_LENGTH, 0, Number.MAX_SAFE_INTEGER),
    levels: {
      gzip: int(config, 'gzipLevel', 6, 1, 9),
      // Quality 4 compresses dynamic content better than gzip 6 at about its speed; 11 is for static files.
      br: int(config, 'brotliQuality', 4, 0, 11),
      zstd: 3,
    },
  };
}

/**
 * Whether the response may be compressed before asking the client: not encoded already, a listed
 * type, not shorter than minLength, no `no-transform`, not a range or gRPC. (The engine asks only for
 * responses with a body; upgrades never reach it.)
 */
function compressible(session: Session, status: number, headers: HeaderList, settings: CompressionSettings): boolean {
  if (status === 206 || headers.has('content-encoding') || headers.has('content-range')) return false;
  const type = mediaType(headers.get('content-type'));
  if (type === undefined || type.startsWith('application/grpc') || isGrpc(session)) return false;
  if (!settings.exactTypes.has(type) && !settings.typePrefixes.some((p) => type.startsWith(p))) return false;
  const length = contentLength(headers);
  if (length >= 0 && length < settings.minLength) return false;
  return !headers.getAll('cache-control').some((v) => /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(v));
}

/** `Text/HTML; charset=utf-8` → `text/html`. */
function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** The declared body length, or -1 when it is not known (chunked, HTTP/2 without it). */
function contentLength(headers: HeaderList): number {
  const v = headers.get('content-length');
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

function addVary(headers: HeaderList): void {
  for (const value of headers.getAll('vary')) {
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase();
      if (t === '*' || t === 'accept-encoding') return;
    }
  }
  headers.append('vary', 'accept-encoding');
}

/** A strong ETag names exact bytes, which the compressed body is not (RFC 9110 §8.8.3); Envoy weakens it too. */
function weakenEtag(headers: HeaderList): void {
  const etag = headers.get('etag');
  if (etag !== undefined && etag.startsWith('"')) headers.set('etag', `W/${etag}`);
}

function joined(values: string[]): string | undefined {
  return values.length === 0 ? undefined : values.join(',');
}
