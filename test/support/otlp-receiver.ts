// An OTLP/HTTP trace receiver for tests: POST /v1/traces with a protobuf ExportTraceServiceRequest,
// decoded with the message classes OpenTelemetry generated from the official opentelemetry-proto
// definitions (the `otlp-proto-reference` dev dependency: @opentelemetry/otlp-transformer 0.52, the
// last release that shipped them), not with the encoder the proxy exports through, nor our own code.
// Can refuse every export (a collector that is down but accepts connections) or stall.
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';

const require = createRequire(import.meta.url);
const root = require('otlp-proto-reference/build/src/generated/root.js') as any;
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ExportTraceServiceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** 1 internal, 2 server, 3 client (OTLP SpanKind). */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** The resource's service.name. */
  readonly service: string;
  /** 0 unset, 1 ok, 2 error. */
  readonly status: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

const hex = (b: Uint8Array | null | undefined): string => (b === undefined || b === null || b.length === 0 ? '' : Buffer.from(b).toString('hex'));

function valueOf(v: any): string | number | boolean {
  if (v.stringValue !== undefined && v.stringValue !== null && v.stringValue !== '') return v.stringValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue);
  if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  return v.stringValue ?? '';
}

function attributesOf(list: any[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) out[kv.key] = valueOf(kv.value ?? {});
  return out;
}

/** Decodes one export request body into its spans. */
export function decodeTraces(body: Buffer): ReceivedSpan[] {
  const request = ExportTraceServiceRequest.decode(body);
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          attributes: attributesOf(s.attributes),
          service,
          status: s.status?.code ?? 0,
          startNs: BigInt(String(s.startTimeUnixNano)),
          endNs: BigInt(String(s.endTimeUnixNano)),
        });
      }
    }
  }
  return spans;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Export requests received, accepted or not. */
  requests = 0;
  /** 'accept' (200), 'refuse' (503 to every export) or 'stall' (never answers). */
  mode: 'accept' | 'refuse' | 'stall' = 'accept';
  readonly errors: string[] = [];

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver!.onExport(req.url ?? '', req.headers['content-type'] ?? '', Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new OtlpReceiver(server, (server.address() as { port: number }).port);
    return receiver;
  }

  /** The endpoint to give OTEL_EXPORTER_OTLP_ENDPOINT. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onExport(url: string, type: string, body: Buffer, res: import('node:http').ServerResponse): void {
    this.requests++;
    if (this.mode === 'stall') return;
    if (this.mode === 'refuse') {
      res.writeHead(503).end();
      return;
    }
    if (url !== '/v1/traces' || type !== 'application/x-protobuf') {
      this.errors.push(`unexpected export: ${url} ${type}`);
      res.writeHead(400).end();
      return;
    }
    try {
      this.spans.push(...decodeTraces(body));
    } catch (err) {
      this.errors.push(`undecodable export: ${(err as Error).message}`);
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(ExportTraceServiceResponse.encode({}).finish()));
  }
}
