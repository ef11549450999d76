// HTTP/2 field names are tokens in lowercase (RFC 9113 §8.2.1): HPACK carries any byte, so both sides
// check what they decode before a name reaches the engine or an HTTP/1.1 peer.
import { TCHAR } from '../../http1/field-syntax.js';

export function isLowercaseToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0 || (c >= 65 && c <= 90)) return false;
  }
  return true;
}
