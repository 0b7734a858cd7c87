import { describe, expect, it } from 'vitest';
import { splitTemplateFile, TemplateLayoutError } from '../../src/templates/format.js';

function layoutError(content: string): TemplateLayoutError {
  try {
    splitTemplateFile(content);
  } catch (err) {
    if (err instanceof TemplateLayoutError) return err;
    throw err;
  }
  throw new Error('expected a layout error');
}

describe('template file layout', () => {
  it('splits a file into subject, text and HTML, remembering where each starts', () => {
    const sections = splitTemplateFile(
      '{{!--\n  a comment\n--}}\n\nSubject: Hello {{recipient.name}}\n--- text ---\n\nDear {{recipient.name}},\n\n--- html ---\n<p>Dear {{recipient.name}},</p>\n\n',
    );
    expect(sections.subject).toEqual({ source: 'Hello {{recipient.name}}', line: 5 });
    expect(sections.text).toEqual({ source: 'Dear {{recipient.name}},', line: 8 });
    expect(sections.html).toEqual({ source: '<p>Dear {{recipient.name}},</p>', line: 11 });
  });

  it('accepts Windows line endings, a byte-order mark and markers in any case', () => {
    const sections = splitTemplateFile('\uFEFFsubject: Hi\r\n--- TEXT ---\r\nHello\r\n---  html  ---\r\n<p>Hello</p>\r\n');
    expect(sections.subject.source).toBe('Hi');
    expect(sections.text.source).toBe('Hello');
    expect(sections.html).toEqual({ source: '<p>Hello</p>', line: 5 });
  });

  it.each([
    ['', 1, /expected a "Subject: …" line here \(the file is empty\)/],
    ['Dear all\n--- text ---\nx\n--- html ---\ny', 1, /found "Dear all"/],
    ['{{!-- never closed\nSubject: x', 1, /comment opened on line 1 is never closed/],
    ['Subject: x\nsecond subject line\n--- text ---\nx\n--- html ---\ny', 2, /subject must be a single line/],
    ['Subject: x\n--- html ---\ny\n--- text ---\nx', 4, /must come before/],
    ['Subject: x\n--- text ---\nx', 2, /no "--- html ---" line/],
    ['Subject: x\n\n', 1, /no "--- text ---" line/],
    ['Subject: x\n--- text ---\na\n--- text ---\nb\n--- html ---\nc', 4, /second "--- text ---" line \(the first is on line 2\)/],
    ['Subject:   \n--- text ---\na\n--- html ---\nb', 1, /Subject line is empty/],
    ['Subject: x\n--- text ---\n\n--- html ---\nb', 2, /plain-text part is empty/],
    ['Subject: x\n--- text ---\na\n--- html ---\n  \n', 4, /HTML part is empty/],
  ])('reports %j at line %i', (content, line, message) => {
    const err = layoutError(content);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
  });
});
