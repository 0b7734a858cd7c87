import { describe, expect, it } from 'vitest';
import { withoutQuotedReplies } from '../../src/signals/capacity.js';
import { ownText } from '../../src/signals/match.js';
import { ownTextOf, signedTextOf } from '../../src/signals/text-views.js';
import { A, mail } from '../support/council.js';

const TEXT = 'Dear Sam,\n\nCould you book the hall?\n\n-- \nCllr Tom Brown\nCastle Ward\n\nOn Monday, Sam wrote:\n> old text';

describe('text views', () => {
  it('gives the own text and the signed text of a message', () => {
    const item = mail({ from: A.tom, to: [A.sam], text: TEXT });
    expect(ownTextOf(item)).toBe(ownText(TEXT));
    expect(signedTextOf(item)).toBe(withoutQuotedReplies(TEXT));
    expect(ownTextOf(item)).not.toContain('Castle Ward');
    expect(signedTextOf(item)).toContain('Castle Ward');
  });

  it('works each view out once per message and gives the same string again', () => {
    const item = mail({ from: A.tom, to: [A.sam], text: TEXT });
    const first = ownTextOf(item);
    expect(ownTextOf(item)).toBe(first);
    expect(signedTextOf(item)).toBe(signedTextOf(item));
  });

  it('reads the text afresh when a message object is given a new text', () => {
    const item = mail({ from: A.tom, to: [A.sam], text: TEXT });
    expect(ownTextOf(item)).toContain('book the hall');
    item.text = 'Please repaint the benches.';
    expect(ownTextOf(item)).toBe('Please repaint the benches.');
    expect(signedTextOf(item)).toBe('Please repaint the benches.');
  });

  it('keeps the views of different messages apart', () => {
    const a = mail({ from: A.tom, to: [A.sam], text: 'First message.' });
    const b = mail({ from: A.tom, to: [A.sam], text: 'Second message.' });
    expect(ownTextOf(a)).toBe('First message.');
    expect(ownTextOf(b)).toBe('Second message.');
  });
});
