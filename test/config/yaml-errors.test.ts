/** A YAML mistake is reported once, in plain words, on the line the Clerk must correct. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';

const GOOD = [
  'council:', //                                   1
  '  name: Millbrook Town Council', //             2
  '  domains: [millbrook-tc.gov.uk]', //           3
  '  serviceAddress: protocol@millbrook-tc.gov.uk', // 4
  'people:', //                                    5
  '  - name: Helen Ashworth', //                   6
  '    emails: [clerk@millbrook-tc.gov.uk]', //    7
  '    role: clerk', //                            8
  '  - name: Cllr Tom Brown', //                   9
  '    emails: [tom.brown@millbrook-tc.gov.uk]', // 10
  '    role: member', //                           11
  'dryRun: true', //                               12
];

/** The good file with line `n` (1-based) replaced. */
function withLine(n: number, text: string): string {
  return GOOD.map((l, i) => (i === n - 1 ? text : l)).join('\n') + '\n';
}

function problems(text: string): string[] {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wardwatch-yaml-')), 'council.yaml');
  writeFileSync(file, text);
  try {
    loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err.format().split('\n');
    throw err;
  }
  return [];
}

const INDENTATION =
  'this line is not indented like the lines around it — the fields of one section must start in the same column, ' +
  'a field inside another is indented by two more spaces, and the items of a list ("- ") must line up under each other';

describe('YAML mistakes, in plain words with their line', () => {
  it('the good file loads', () => {
    expect(problems(GOOD.join('\n'))).toEqual([]);
  });

  const cases: [string, string, string[]][] = [
    ['a tab indenting a field', withLine(7, '\temails: [clerk@millbrook-tc.gov.uk]'), ['council.yaml:7: this line is indented with a tab; YAML needs spaces (replace the tab with spaces, two for each level)']],
    ['a tab after spaces', withLine(3, '  \tdomains: [millbrook-tc.gov.uk]'), ['council.yaml:3: this line is indented with a tab; YAML needs spaces (replace the tab with spaces, two for each level)']],
    ['a tab indenting a list item', withLine(9, '\t- name: Cllr Tom Brown'), ['council.yaml:9: this line is indented with a tab; YAML needs spaces (replace the tab with spaces, two for each level)']],
    ['a field indented one space too far', withLine(3, '   domains: [millbrook-tc.gov.uk]'), [`council.yaml:3: ${INDENTATION}`]],
    ['a field indented one space too little', withLine(4, ' serviceAddress: protocol@millbrook-tc.gov.uk'), [`council.yaml:4: ${INDENTATION}`]],
    ['a list item out of line', withLine(9, '   - name: Cllr Tom Brown'), [`council.yaml:9: ${INDENTATION}`]],
    ['a field of a list item out of line', withLine(8, '   role: clerk'), [`council.yaml:8: ${INDENTATION}`]],
    ['no space after a colon', withLine(2, '  name:Millbrook Town Council'), ['council.yaml:2: a colon here is not followed by a space; write "name: value", with a space after the colon']],
    ['a list never closed', withLine(3, '  domains: [millbrook-tc.gov.uk'), ['council.yaml:3: a list in [ ] or a mapping in { } on this line is not closed; add the closing ] or } at the end of the line']],
    ['a quotation never closed', withLine(2, '  name: "Millbrook Town Council'), ['council.yaml:2: a quotation mark (") on this line is never closed; add the closing " at the end of the value']],
    [
      'an unquoted ${…} inside { }',
      `${GOOD.join('\n')}\nsender: { kind: smtp, host: smtp.example.net, user: me, password: \${WARDWATCH_SMTP_PASSWORD} }\n`,
      ['council.yaml:13: inside [ ] or { } a ${…} reference must be in quotes, e.g. { password: "${WARDWATCH_PASSWORD}" }'],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      expect(problems(text)).toEqual(expected);
    });
  }

  it('a field given twice', () => {
    const text = GOOD.slice(0, 3).join('\n') + '\n  name: Millbrook Town Council\n' + GOOD.slice(3).join('\n') + '\n';
    expect(problems(text)).toEqual(['council.yaml:4: "name" appears twice in the same section; keep only one of them']);
  });

  it('a tab after the text has begun is not a mistake', () => {
    expect(problems(withLine(12, 'dryRun:\ttrue'))).toEqual([]);
  });
});
