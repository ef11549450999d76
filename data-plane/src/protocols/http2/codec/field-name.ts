// HTTP/2 field names are tokens in lowercase (RFC 9113 §8.2.1): HPACK carries any byte, so both sides
// check what they decode before a field reaches the engine or an HTTP/1.1 peer.
import { BAD_FIELD_VALUE, TCHAR } from '../../http1/field-syntax.js';

/** A decoded field that may pass: a lowercase token name and a value without CR, LF, NUL or other controls. */
export function isValidField(name: string, value: string): boolean {
  return isLowercaseToken(name) && !BAD_FIELD_VALUE.test(value);
}

export function isLowercaseToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0 || (c >= 65 && c <= 90)) return false;
  }
  return true;
}
