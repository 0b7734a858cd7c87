import { describe, expect, test } from 'vitest';
import { splitSentences } from '../../src/signals/sentences.js';

describe('splitSentences asked again for the same text', () => {
  const text = 'Could you print these? The leaflets are attached.\n\nMany thanks.';

  test('gives the same sentences, in a list of its own each time', () => {
    const first = splitSentences(text);
    first.push('changed by the caller');
    first[0] = 'also changed';
    const second = splitSentences(text);
    expect(second).toEqual(['Could you print these?', 'The leaflets are attached.', 'Many thanks.']);
    expect(second).not.toBe(first);
  });

  test('a different text is split afresh', () => {
    splitSentences(text);
    expect(splitSentences('One. Two.')).toEqual(['One.', 'Two.']);
    expect(splitSentences(text)).toHaveLength(3);
  });
});
