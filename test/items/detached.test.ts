import { describe, expect, it } from 'vitest';
import { detached } from '../../src/items/detached.js';

describe('detached', () => {
  it.each([
    ['', 'empty'],
    ['<bench-1@millbrook-tc.gov.uk>', 'Latin-1'],
    ['caf\u00e9 \u00ff', 'Latin-1 above ASCII'],
    ['the sender’s own Sent folder', 'a curly apostrophe'],
    ['😀 and \ud800 alone and \udc00 too', 'astral characters and lone surrogates'],
  ])('gives an equal string for %j (%s)', (s) => {
    const copy = detached(s);
    expect(copy).toBe(s);
    expect(copy.length).toBe(s.length);
  });

  it('copies a piece cut out of a longer string', () => {
    const whole = `Message-ID: <${'x'.repeat(200)}@example.org>\r\nSubject: hello`;
    const piece = whole.slice(12, 12 + 214);
    expect(detached(piece)).toBe(piece);
  });
});
