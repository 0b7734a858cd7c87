import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, describeSchema, formatPath, formatProblem, issueProblems, knownKeys, suggest } from '../../src/config/errors.js';
import { ConfigSchema } from '../../src/config/schema.js';

describe('formatPath', () => {
  it('writes paths in JavaScript notation', () => {
    expect(formatPath(['people', 3, 'role'])).toBe('people[3].role');
    expect(formatPath(['rules', 'no-blind-copies', 'actions', 0])).toBe('rules["no-blind-copies"].actions[0]');
    expect(formatPath([])).toBe('');
  });
});

describe('formatProblem and ConfigError', () => {
  it('puts file, line and field on one line', () => {
    expect(formatProblem({ file: 'council.yaml', line: 14, path: 'people[3].role', message: 'expected x, got y' })).toBe(
      'council.yaml:14 people[3].role: expected x, got y',
    );
    expect(formatProblem({ file: 'council.yaml', path: 'people', message: 'm' })).toBe('council.yaml people: m');
    expect(formatProblem({ file: 'council.yaml', line: 2, path: '', message: 'm' })).toBe('council.yaml:2: m');
    expect(formatProblem({ file: 'council.yaml', path: '', message: 'cannot read council.yaml: no such file' })).toBe('cannot read council.yaml: no such file');
  });

  it('orders problems by line', () => {
    const err = new ConfigError([
      { file: 'c.yaml', line: 9, path: 'b', message: 'second' },
      { file: 'c.yaml', line: 3, path: 'a', message: 'first' },
    ]);
    expect(err.format()).toBe('c.yaml:3 a: first\nc.yaml:9 b: second');
    expect(err.name).toBe('ConfigError');
  });
});

describe('suggest', () => {
  it('finds a likely slip of the keyboard, and nothing for unrelated words', () => {
    expect(suggest('colour', ['council', 'people', 'wards'])).toBe('council');
    expect(suggest('protocal', ['council', 'protocol'])).toBe('protocol');
    expect(suggest('xyz', ['council', 'people', 'wards'])).toBeUndefined();
    expect(suggest('anything', [])).toBeUndefined();
  });
});

describe('schema descriptions', () => {
  it('names required fields, choices and accepted keys', () => {
    expect(describeSchema(ConfigSchema.shape.council)).toBe('a mapping with name, domains, serviceAddress');
    expect(describeSchema(ConfigSchema.shape.sender)).toBe('a mapping with kind: file | smtp | connector');
    expect(knownKeys(ConfigSchema, ['digest'])).toEqual(['to', 'cron']);
    expect(knownKeys(ConfigSchema, ['rules'])).toContain('no-blind-copies');
  });

  it('rewords size limits', () => {
    const schema = z.object({ names: z.array(z.string().min(2)).min(1), port: z.number().max(10) });
    const input = { names: ['a'], port: 99 };
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    const problems = result.success ? [] : issueProblems(result.error.issues, { schema, input });
    expect(problems.map((p) => `${formatPath(p.path)}: ${p.message}`)).toEqual([
      'names[0]: expected at least 2 characters, got "a"',
      'port: expected at most 10, got 99',
    ]);
  });
});
