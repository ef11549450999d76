// Semantic checks of one Listener (its certificates are checked in references.ts).
import { ListenerProtocol, type Listener } from '../../../../proto/gen/sluice/v1/listener_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkAddress, checkPort } from './syntax.js';

export function validateListener(listener: Listener, path: string, errors: FieldErrors): void {
  checkAddress(listener.address, fieldPath(path, 'address'), errors, true);
  // Port 0 asks the OS for a free port (tests, and proxies that report their port).
  checkPort(listener.port, fieldPath(path, 'port'), errors, true);
  const tls = listener.tls;
  if (listener.protocol === ListenerProtocol.HTTPS) {
    if (tls === undefined || tls.certificates.length === 0) errors.add(fieldPath(path, 'tls.certificates'), 'an HTTPS listener needs at least one certificate');
  } else if (tls !== undefined) {
    errors.add(fieldPath(path, 'tls'), 'is only allowed with protocol HTTPS');
  }
  if (tls !== undefined && tls.defaultCertificate !== '' && !tls.certificates.includes(tls.defaultCertificate)) {
    errors.add(fieldPath(path, 'tls.defaultCertificate'), `"${tls.defaultCertificate}" is not one of tls.certificates`);
  }
}
