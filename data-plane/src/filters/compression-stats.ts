// Counts of compressed responses and their bytes by coding, for sluice_proxy_compressed_responses_total
// and the compression byte counters: plain numbers on the request path, read when scraped. One per
// process, as every metric of a proxy process (the primary sums its workers').
import type { Transform } from 'node:stream';

export interface CompressionCount {
  readonly encoding: string;
  responses: number;
  /** Body bytes as the upstream sent them. */
  uncompressedBytes: number;
  /** Body bytes as they went to the client. */
  compressedBytes: number;
}

export class CompressionStats {
  private readonly counts = new Map<string, CompressionCount>();

  /** Counts one response compressed with `encoding` by `stream` (a node:zlib compressor). */
  track(encoding: string, stream: Transform & { readonly bytesWritten: number }): void {
    let c = this.counts.get(encoding);
    if (c === undefined) this.counts.set(encoding, (c = { encoding, responses: 0, uncompressedBytes: 0, compressedBytes: 0 }));
    const count = c;
    count.responses++;
    stream.on('data', (chunk: Buffer) => (count.compressedBytes += chunk.length));
    // 'close' comes after the end and after a destroy alike: a cut response counts what it took in.
    stream.once('close', () => (count.uncompressedBytes += stream.bytesWritten));
  }

  values(): Iterable<CompressionCount> {
    return this.counts.values();
  }
}

/** This process's counts: the `compression` filters of every route add to them. */
export const compressionStats = new CompressionStats();
