// Generated admin-API requests: applies of mutated reference documents as JSON and as multi-document
// YAML (tags, anchors, alias bombs, directives, deep nesting), PUTs and DELETEs with odd names and
// If-Match values, byte-level damage to any body, and random bytes.
import fc from 'fast-check';
import { toJsonText, toYamlBlock, toYamlFlow } from './document-text.js';
import { aliasBomb } from './nasty-values.js';
import { buildDoc, docChoice, EXAMPLE_DOCS, type DocChoice } from './resource-mutations.js';

export interface ApiCase {
  /** What kind of request this is, for the report (`apply-json`, `put-yaml`, ...). */
  readonly shape: string;
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  /** `If-Match`: a literal, or the revision of the named resource plus `delta` (resolved when sent). */
  readonly ifMatch?: string | { readonly kind: string; readonly name: string; readonly delta: number };
  readonly body?: Buffer;
}

/** Damage done to a body's bytes: cut, inserted, overwritten, doubled or dropped. */
export interface ByteDamage {
  readonly op: 'truncate' | 'insert' | 'overwrite' | 'double' | 'drop';
  readonly at: number;
  readonly bytes: Uint8Array;
}

const byteDamage: fc.Arbitrary<ByteDamage> = fc.record({
  op: fc.constantFrom('truncate', 'insert', 'overwrite', 'double', 'drop'),
  at: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});

export function damage(body: Buffer, d: ByteDamage): Buffer {
  const i = body.length === 0 ? 0 : d.at % body.length;
  const extra = Buffer.from(d.bytes);
  switch (d.op) {
    case 'truncate':
      return body.subarray(0, i);
    case 'insert':
      return Buffer.concat([body.subarray(0, i), extra, body.subarray(i)]);
    case 'overwrite':
      return Buffer.concat([body.subarray(0, i), extra, body.subarray(i + extra.length)]);
    case 'double':
      return Buffer.concat([body.subarray(0, i + extra.length), body.subarray(i)]);
    case 'drop':
      return Buffer.concat([body.subarray(0, i), body.subarray(i + extra.length)]);
  }
}

const PLURAL: Record<string, string> = { Cluster: 'clusters', Route: 'routes', Listener: 'listeners', Endpoints: 'endpoints', Certificate: 'certificates' };
const KIND_SEGMENTS = ['clusters', 'routes', 'listeners', 'endpoints', 'certificates', 'Route', 'cluster', 'CERTIFICATES', 'gadgets', '', '%72outes', 'routes%00'];
const NAMES = [...new Set(EXAMPLE_DOCS.map((d) => String(d['name'])))];

/** URL path segments: the reference names, new names, and names that are not names. */
const nameSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NAMES).map(encodeURIComponent),
  fc.constantFrom('fuzz-a', 'Web', 'web_1', '%', '%zz', '%2F', '..', '.', '%00', '%ED%A0%80', 'a'.repeat(300), 'a'.repeat(20_000), '%E2%80%AE', 'web?x=1', 'web#frag'),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => Buffer.from(s, 'utf8').toString('hex').replace(/(..)/g, '%$1')),
);

const LITERAL_IF_MATCH = ['0', '1', '"1"', 'W/"1"', '*', '', ' ', '-1', 'abc', '99999999999999999999', '1,2', ' 1 ', '"', 'W/', '1e3', '0x10', '9007199254740993'];

const ifMatch = fc.option(
  fc.oneof(
    fc.constantFrom(...LITERAL_IF_MATCH),
    fc.record({ kind: fc.constantFrom(...Object.keys(PLURAL)), name: fc.constantFrom(...NAMES), delta: fc.constantFrom(0, 0, -1, 1, 1000) }),
  ),
  { nil: undefined },
);

const ODD_CONTENT_TYPES = ['text/plain', 'application/json; charset=latin1', 'application/x-yaml', 'text/yaml; charset=utf-16', 'application/yaml; yaml', 'multipart/form-data', 'application/json, application/yaml', 'YAML'];

/** How the documents of an apply are wrapped in JSON. */
const jsonWrap = fc.constantFrom('resources', 'list', 'single', 'resources-object', 'resources-null');

function jsonBody(docs: unknown[], wrap: string): string {
  switch (wrap) {
    case 'list':
      return toJsonText(docs);
    case 'single':
      return toJsonText(docs[0]);
    case 'resources-object':
      return toJsonText({ resources: Object.fromEntries(docs.map((d, i) => [String(i), d])) });
    case 'resources-null':
      return toJsonText({ resources: null, ...((docs[0] as object | null) ?? {}) });
    default:
      return toJsonText({ resources: docs });
  }
}

const YAML_HEADERS = ['', '%YAML 1.1\n---\n', '%YAML 1.2\n---\n', '--- ', '---\n', '%TAG !e! tag:example.com,2000:\n---\n', '\ufeff', '%YAML 9.9\n---\n', '# comment\n'];
const YAML_SEPARATORS = ['---\n', '...\n---\n', '--- \n', '---\r\n', '\n---\n', '--- !!map\n'];

function yamlBody(docs: unknown[], style: string, header: string, separator: string): string {
  const texts = docs.map((d) => (style === 'flow' ? toYamlFlow(d) : toYamlBlock(d)));
  const body = header + texts.join(`\n${separator}`) + '\n';
  return style === 'crlf' ? body.replace(/\n/g, '\r\n') : body;
}

/** Whole YAML bodies no document mutation reaches: nesting, bombs, thousands of documents. */
const yamlOddities: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(30, 64, 1000, 100_000).map((n) => `${'- '.repeat(n)}x\n`),
  fc.constantFrom(30, 64, 1000, 2500).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n'),
  fc.constantFrom(30, 1000, 100_000).map((n) => `${'['.repeat(n)}${']'.repeat(n)}\n`),
  fc.tuple(fc.integer({ min: 2, max: 14 }), fc.integer({ min: 2, max: 12 })).map(([l, f]) => `kind: Cluster\nname: bomb\nendpoints: ${aliasBomb(l, f).text}\n`),
  fc.constantFrom(2, 1000, 20_000).map((n) => '---\n'.repeat(n)),
  fc.constantFrom(130, 2000).map((n) => Array.from({ length: n }, (_, i) => `kind: Cluster\nname: many-${i}\nendpoints: [{address: 127.0.0.1, port: 1}]\n`).join('---\n')),
  fc.constantFrom('--- 5\n', '--- "str"\n', '--- [1, 2]\n', '--- !!binary aGVsbG8=\n', '--- *a\n', '--- &a\n', 'kind: Cluster\nname: x\n<<: {endpoints: []}\n', '? [kind]\n: Route\n', '"\\ud800": 1\n'),
  fc.constantFrom('kind: Cluster\nname: web\nname: web\n', 'kind: Route\nkind: Cluster\nname: dup\n', '{"kind": "Cluster", "name": "a", "name": "b"}\n'),
);

const choices = (yaml: boolean): fc.Arbitrary<DocChoice[]> => fc.array(docChoice(yaml), { minLength: 1, maxLength: 4 });
const maybeDamage = fc.option(byteDamage, { freq: 4, nil: undefined });

function withDamage(text: string | Buffer, d: ByteDamage | undefined): Buffer {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  return d === undefined ? body : damage(body, d);
}

export const apiCase: fc.Arbitrary<ApiCase> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ docs: choices(false), wrap: jsonWrap, damage: maybeDamage, type: fc.option(fc.constantFrom(...ODD_CONTENT_TYPES), { freq: 8, nil: undefined }) }).map(
      (c): ApiCase => ({ shape: 'apply-json', method: 'POST', path: '/v1/apply', contentType: c.type ?? 'application/json', body: withDamage(jsonBody(c.docs.map(buildDoc), c.wrap), c.damage) }),
    ),
  },
  {
    weight: 8,
    arbitrary: fc
      .record({ docs: choices(true), style: fc.constantFrom('block', 'block', 'flow', 'crlf'), header: fc.constantFrom(...YAML_HEADERS), separator: fc.constantFrom(...YAML_SEPARATORS), damage: maybeDamage })
      .map((c): ApiCase => ({ shape: 'apply-yaml', method: 'POST', path: '/v1/apply', contentType: 'application/yaml', body: withDamage(yamlBody(c.docs.map(buildDoc), c.style, c.header, c.separator), c.damage) })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ text: yamlOddities, damage: fc.option(byteDamage, { freq: 8, nil: undefined }) }).map((c): ApiCase => ({ shape: 'apply-yaml-odd', method: 'POST', path: '/v1/apply', contentType: 'application/yaml', body: withDamage(c.text, c.damage) })),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({ doc: docChoice(true), yaml: fc.boolean(), kindFromDoc: fc.boolean(), kind: fc.constantFrom(...KIND_SEGMENTS), name: fc.option(nameSegment, { freq: 3, nil: undefined }), ifMatch, damage: maybeDamage })
      .map((c): ApiCase => {
        const doc = buildDoc(c.doc) as Record<string, unknown> | null;
        const docKind = typeof doc?.['kind'] === 'string' ? PLURAL[doc['kind']] : undefined;
        const docName = typeof doc?.['name'] === 'string' ? encodeURIComponent(doc['name'].replace(/[\ud800-\udfff]/g, '?')) : 'unnamed';
        const text = c.yaml ? toYamlBlock(doc) + '\n' : toJsonText(doc);
        return {
          shape: c.yaml ? 'put-yaml' : 'put-json',
          method: 'PUT',
          path: `/v1/${c.kindFromDoc && docKind !== undefined ? docKind : c.kind}/${c.name ?? docName}`,
          contentType: c.yaml ? 'application/yaml' : 'application/json',
          ...(c.ifMatch !== undefined ? { ifMatch: c.ifMatch } : {}),
          body: withDamage(text, c.damage),
        };
      }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constantFrom(...KIND_SEGMENTS), name: nameSegment, ifMatch }).map(
      (c): ApiCase => ({ shape: 'delete', method: 'DELETE', path: `/v1/${c.kind}/${c.name}`, ...(c.ifMatch !== undefined ? { ifMatch: c.ifMatch } : {}) }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ method: fc.constantFrom('POST', 'PUT'), kind: fc.constantFrom(...KIND_SEGMENTS), name: nameSegment, type: fc.constantFrom('application/json', 'application/yaml', ...ODD_CONTENT_TYPES), bytes: fc.uint8Array({ maxLength: 4000 }) })
      .map((c): ApiCase => ({ shape: 'random-bytes', method: c.method, path: c.method === 'POST' ? '/v1/apply' : `/v1/${c.kind}/${c.name}`, contentType: c.type, body: Buffer.from(c.bytes) })),
  },
);
