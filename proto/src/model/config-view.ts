// One proxy's configuration as both planes show it for `sluice ctl proxy-config`: the proxy's admin
// server (/config_dump?kind=...: what it runs) and the control plane (GET /v1/proxies/NODE/intended:
// what it would send that proxy) answer with the same body, so the two compare field by field.
// Resources are in the API's JSON form ({kind, ...fields}) except Certificates, which are summarized
// (serial, fingerprint, expiry, names): no chain, no key, nothing secret leaves either side.
import { X509Certificate } from 'node:crypto';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Certificate } from '../../gen/sluice/v1/certificate_pb.js';
import { KINDS, parseKind, type Kind, type Resource } from './kinds.js';
import { specToJson } from './resource-json.js';

/** What both sides answer: one proxy's resources of the kinds asked for. */
export interface ConfigView {
  /** The control-plane revision the proxy applied last, or the snapshot's the intent was computed from. */
  readonly revision: number;
  readonly kinds: readonly Kind[];
  /** Sorted by kind (in KINDS order) then name. */
  readonly resources: readonly JsonObject[];
  /** The version (content hash) of each resource from the control plane, by kind and name. */
  readonly versions: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Resources the proxy made itself from its flags (the sidecar listeners), not from the control
   * plane, as `Kind/name`: they are shown and never count as a difference. Empty on the intended side.
   */
  readonly local: readonly string[];
}

/** `certs` as ctl spells it, plus every spelling parseKind takes. */
export function parseViewKind(spelling: string): Kind | undefined {
  const s = spelling.trim().toLowerCase();
  return s === 'certs' || s === 'cert' ? 'Certificate' : parseKind(s);
}

/**
 * The `kind` query parameter: comma-separated spellings, `all` or absent for every kind. Returns the
 * kinds in KINDS order, or the first spelling it does not know.
 */
export function parseViewKinds(param: string | null): { ok: true; kinds: Kind[] } | { ok: false; unknown: string } {
  if (param === null || param === '' || param === 'all') return { ok: true, kinds: [...KINDS] };
  const wanted = new Set<Kind>();
  for (const spelling of param.split(',')) {
    const kind = parseViewKind(spelling);
    if (kind === undefined) return { ok: false, unknown: spelling };
    wanted.add(kind);
  }
  return { ok: true, kinds: KINDS.filter((k) => wanted.has(k)) };
}

/** One resource as a ConfigView shows it. */
export function viewResource(resource: Resource): JsonObject {
  if (resource.kind === 'Certificate') return certificateSummary(resource.spec);
  return { kind: resource.kind, ...specToJson(resource) };
}

/**
 * A Certificate without its material: the leaf's serial, SHA-256 fingerprint, expiry and SANs, how
 * many certificates the chain and CA bundle hold, and whether a private key came with it (the
 * control plane sends a key only to proxies that serve or present the certificate).
 */
export function certificateSummary(spec: Certificate): JsonObject {
  const out: JsonObject = { kind: 'Certificate', name: spec.name };
  if (spec.sniNames.length > 0) out['sniNames'] = [...spec.sniNames];
  const chain = pemCertificates(spec.certChain);
  const leaf = chain[0];
  if (leaf !== undefined) {
    out['serial'] = leaf.serialNumber;
    out['fingerprint'] = leaf.fingerprint256;
    out['notAfter'] = new Date(leaf.validTo).toISOString();
    if (leaf.subjectAltName !== undefined) out['subjectAltNames'] = leaf.subjectAltName.split(', ');
    out['chainLength'] = chain.length;
  } else if (spec.notAfter !== '') out['notAfter'] = spec.notAfter;
  const bundle = pemCertificates(spec.caBundle);
  if (bundle.length > 0) out['caBundleCertificates'] = bundle.length;
  out['hasPrivateKey'] = spec.privateKey !== '';
  return out;
}

/** The certificates of a PEM text that parse; one that does not is left out (validation refused it before). */
function pemCertificates(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // not a certificate: nothing to summarize
    }
  }
  return out;
}

/** Builds the view of `resources` restricted to `kinds`; `versionOf` gives a resource's version, if known. */
export function configView(
  kinds: readonly Kind[],
  resources: Iterable<Resource>,
  revision: number,
  versionOf: (kind: Kind, name: string) => string | undefined,
  isLocal: (kind: Kind, name: string) => boolean = () => false,
): ConfigView {
  const wanted = new Set(kinds);
  const picked = [...resources].filter((r) => wanted.has(r.kind));
  picked.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  const versions: Record<string, Record<string, string>> = {};
  const local: string[] = [];
  for (const r of picked) {
    if (isLocal(r.kind, r.spec.name)) {
      local.push(`${r.kind}/${r.spec.name}`);
      continue;
    }
    const version = versionOf(r.kind, r.spec.name);
    if (version !== undefined) (versions[r.kind] ??= {})[r.spec.name] = version;
  }
  return { revision, kinds: [...kinds], resources: picked.map(viewResource), versions, local };
}
