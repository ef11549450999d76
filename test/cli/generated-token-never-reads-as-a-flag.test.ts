// The token `sluice start` prints is pasted after `--token`: it must never begin with '-' (base64url
// can), or the command line reads it as a flag ("Option '--token' argument is ambiguous").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from 'node:util';
import { generateToken } from '../../proto/src/command-line/token-source.js';

test('a generated token never begins with a dash and parses as the value of --token', () => {
  // 2,000 tokens: a bare base64url token begins with '-' once in 64.
  for (let i = 0; i < 2000; i++) {
    const token = generateToken();
    assert.match(token, /^[A-Za-z0-9][A-Za-z0-9_-]{40,}$/);
    assert.equal(parseArgs({ args: ['--token', token], options: { token: { type: 'string' } } }).values.token, token);
  }
});
