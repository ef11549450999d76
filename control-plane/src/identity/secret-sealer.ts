// How private keys are kept at rest: sealed before they are written to the store, opened after they
// are read. The operator's encryption key (when configured) makes etcd hold only ciphertext.

export interface SecretSealer {
  /** The value to store for `plaintext`. */
  seal(plaintext: string): string;
  /** The plaintext of a stored value; throws when no configured key opens it. */
  open(stored: string): string;
}

/** No encryption key configured: values are stored as they are. */
export const PLAINTEXT_SEALER: SecretSealer = {
  seal: (plaintext) => plaintext,
  open: (stored) => stored,
};
