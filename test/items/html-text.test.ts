/** The text of an HTML body (src/items/html-text.ts), as the cloud connectors read event descriptions. */
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/items/html-text.js';

describe('htmlToText', () => {
  it.each([
    ['paragraphs and breaks', '<p>One</p><p>Two<br>Three</p>', 'One\nTwo\nThree'],
    ['an empty Outlook line is one empty line', '<div>A</div><div><br></div><div>B</div>', 'A\n\nB'],
    ['inline elements keep their spaces', '<b>Hello</b> <i>world</i>', 'Hello world'],
    ['entities, named and numbered', '&lt;b&gt; &quot;x&quot; &#39;y&#39; &#x2019; &pound;5 &unknown; & alone', '<b> "x" \'y\' ’ £5 &unknown; & alone'],
    ['style, script and comments are not text', '<style>p{}</style><script>alert(1)</script><!-- c -->Text', 'Text'],
    ['a < that opens no tag is text', 'a < b and c<1', 'a < b and c<1'],
    ['a quoted > inside a tag', '<a title="x > y">link</a>', 'link'],
    ['an apostrophe in a tag does not open a quote', "<p don't>Seen</p>", 'Seen'],
    ['a tag that never ends hides the rest', 'Before<p class="x', 'Before'],
    ['a style that never ends is searched for once', '<style>a<style>b<style>c', 'abc'],
    ['an invalid numeric reference stays as written', '&#xD800; &#0;', '&#xD800; &#0;'],
  ])('%s', (_name, html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it('takes linear time on input built to make a careless parser quadratic', () => {
    const inputs = [
      '<style>'.repeat(100_000),
      '<a title="'.repeat(100_000),
      '&'.repeat(500_000),
      '<'.repeat(500_000),
      `${'</'.repeat(200_000)}<script>`,
      '<p x='.repeat(100_000),
      '<!--'.repeat(100_000),
      '&#'.repeat(250_000),
    ];
    for (const input of inputs) {
      const started = performance.now();
      htmlToText(input);
      expect(performance.now() - started, input.slice(0, 12)).toBeLessThan(1000);
    }
  });
});
