// A PKCS #10 certificate signing request (RFC 2986) for an ECDSA P-256 key, DER-encoded here and
// signed with node:crypto. The one piece of ASN.1 the project writes itself: a proxy makes a request
// at start-up and at each renewal, and loading @peculiar/x509 (which reads requests and certificates
// everywhere else) for it would keep about 8 MiB in every sidecar for good. The shape is fixed: an
// empty subject, the key, and optionally one URI subject alternative name; tests read every request
// back with @peculiar/x509 and check its signature.
import { sign, type KeyObject } from 'node:crypto';

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
/** [0], constructed: the request's attributes. */
const ATTRIBUTES = 0xa0;
/** GeneralName's uniformResourceIdentifier: [6] IA5String, implicit. */
const URI_NAME = 0x86;

/** Object identifiers, DER-encoded with their tag. */
const ECDSA_WITH_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex');
const EXTENSION_REQUEST = Buffer.from('06092a864886f70d01090e', 'hex');
const SUBJECT_ALT_NAME = Buffer.from('0603551d11', 'hex');

/** The request for `publicKey` signed with `privateKey`, as PEM (`-----BEGIN CERTIFICATE REQUEST-----`). */
export function certificateRequestPem(privateKey: KeyObject, publicKey: KeyObject, uriSan?: string): string {
  const info = tlv(
    SEQUENCE,
    tlv(INTEGER, Buffer.from([0])),
    tlv(SEQUENCE),
    publicKey.export({ type: 'spki', format: 'der' }),
    uriSan === undefined ? tlv(ATTRIBUTES) : tlv(ATTRIBUTES, subjectAltNameRequest(uriSan)),
  );
  const signature = sign('sha256', info, privateKey);
  const der = tlv(SEQUENCE, info, tlv(SEQUENCE, ECDSA_WITH_SHA256), tlv(BIT_STRING, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g)!;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** The extensionRequest attribute asking for one URI subject alternative name. */
function subjectAltNameRequest(uri: string): Buffer {
  const names = tlv(SEQUENCE, tlv(URI_NAME, Buffer.from(uri, 'ascii')));
  const extension = tlv(SEQUENCE, SUBJECT_ALT_NAME, tlv(OCTET_STRING, names));
  return tlv(SEQUENCE, EXTENSION_REQUEST, tlv(SET, tlv(SEQUENCE, extension)));
}

/** One DER element: its tag, its length (short or long form), then its contents. */
function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
