import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRuleEnabled, listProfiles, loadProfile, packageRoot, profileClauseMap, protocolsDir, ruleClauses, type ProtocolProfile } from '../../src/config/profiles.js';
import { RULE_IDS, type RuleId } from '../../src/config/schema.js';
import type { ProtocolFile } from '../../src/rules/types.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const protocolTexts = path.resolve(repoRoot, '../shared/protocols');

/** DESIGN.md's rule catalogue, clause column: the source of truth the profiles must follow. */
const CATALOGUE: Record<RuleId, Partial<Record<ProtocolFile, string[]>>> = {
  'no-blind-copies': { '002': ['9.1'], '004': ['12.1'] },
  'no-silent-forwards': { '002': ['9.1'], '004': ['12.1'] },
  'requests-via-clerk': { '003': ['1.4', '4.2'], '004': ['4.6', '2.9'], '001': ['7.2'] },
  'official-letters-from-officers': { '002': ['9.2'], '004': ['12.2', '12.3', '12.4'] },
  'state-capacity': { '004': ['12.5', '11.5a'] },
  'confidential-stays-internal': { '003': ['5'], '002': ['8.2'], '004': ['10.7'], '001': ['7.3'] },
  'no-party-political-use': { '004': ['14.1', '14.3'], '001': ['4.2'], '002': ['7.1'] },
  'press-via-clerk': { '002': ['10.1', '10.3'], '004': ['11.5c', '11.5g'], '001': ['9.3'] },
  'officer-conduct-raised-properly': { '000': ['2.3', '2.4'], '002': ['2.3', '2.4'], '003': ['4.1'], '004': ['15.2'] },
  'invite-ward-members': { '001': ['10.5'], '002': ['11.1'], '004': ['9.3'] },
  'notify-ward-members-of-consultations': { '001': ['10.6'], '002': ['11.1'], '004': ['9.2c'] },
  'no-ward-meetings-before-elections': { '004': ['9.4b'] },
  'clerk-informed-of-member-meetings': { '004': ['9.4'] },
  'no-officers-at-surgeries': { '004': ['9.4c'] },
  'party-group-attendance-authorised': { '000': ['5.3', '5.5'], '002': ['6.3', '6.5'], '004': ['8.2', '8.14'] },
  'notify-ward-members-of-visits': { '004': ['13.3d'] },
};

const PROFILE_FILES: Record<string, ProtocolFile> = { alton: '000', 'model-2016': '001', havant: '002', halstead: '003', knutsford: '004' };

/** Whitespace collapsed and typographic quotes made plain, so quotes can be compared with the text. */
function normalise(text: string): string {
  return text.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('protocol profiles', () => {
  it('ship one profile per protocol', () => {
    expect(listProfiles()).toEqual(['alton', 'halstead', 'havant', 'knutsford', 'model-2016']);
    expect(protocolsDir()).toBe(path.join(path.resolve(repoRoot), 'config', 'protocols'));
  });

  for (const [name, file] of Object.entries(PROFILE_FILES)) {
    describe(name, () => {
      const profile: ProtocolProfile = loadProfile(name);
      const text = normalise(readFileSync(path.join(protocolTexts, profile.source), 'utf8'));

      it('loads and names its protocol file', () => {
        expect(profile.id).toBe(name);
        expect(profile.file).toBe(file);
        expect(profile.source.startsWith(`${file}_`)).toBe(true);
        expect(profile.name.length).toBeGreaterThan(10);
      });

      it("contains exactly the catalogue's rules for this protocol, with its clauses", () => {
        const expected = Object.fromEntries(
          RULE_IDS.flatMap((id) => {
            const clauses = CATALOGUE[id][file];
            return clauses === undefined ? [] : [[id, clauses]];
          }),
        );
        const actual = Object.fromEntries(Object.entries(profile.rules).map(([id, rule]) => [id, rule?.clauses]));
        expect(actual).toEqual(expected);
        for (const id of Object.keys(profile.rules)) expect(RULE_IDS).toContain(id);
      });

      it('cites paragraphs the protocol has, and quotes its words exactly', () => {
        for (const [id, rule] of Object.entries(profile.rules)) {
          for (const clause of rule?.clauses ?? []) {
            const paragraph = clause.replace(/[a-z]$/, '');
            expect(text, `${name} ${id} cites ${clause}`).toMatch(new RegExp(`(^|[ \\-]|#)${escapeRegExp(paragraph)}[ .]`));
          }
          for (const fragment of (rule?.why ?? '').split(' … ')) {
            expect(text, `${name} ${id} quotes "${fragment}"`).toContain(normalise(fragment));
          }
        }
      });
    });
  }

  it('knutsford contains all sixteen rules', () => {
    expect(Object.keys(loadProfile('knutsford').rules).sort()).toEqual([...RULE_IDS].sort());
  });

  it('refuses an unknown profile, naming the ones there are', () => {
    expect(() => loadProfile('knutsfrod')).toThrow('There is no protocol profile named "knutsfrod". The profiles are: alton, halstead, havant, knutsford, model-2016.');
    expect(() => loadProfile('../secrets')).toThrow('There is no protocol profile named "../secrets"');
  });

  it('finds the installation folder from the built files too', () => {
    const fromDist = pathToFileURL(path.join(repoRoot, 'dist', 'src', 'config', 'profiles.js')).href;
    expect(packageRoot(fromDist)).toBe(path.resolve(repoRoot));
  });
});

describe('rule enablement and clauses under a profile', () => {
  const havant = loadProfile('havant');

  it('without a profile, every rule is on unless turned off', () => {
    expect(isRuleEnabled('state-capacity', undefined)).toBe(true);
    expect(isRuleEnabled('state-capacity', 'off')).toBe(false);
    expect(isRuleEnabled('state-capacity', { enabled: false })).toBe(false);
  });

  it("with a profile, only the profile's rules are on unless the council says otherwise", () => {
    expect(isRuleEnabled('no-blind-copies', undefined, havant)).toBe(true);
    expect(isRuleEnabled('state-capacity', undefined, havant)).toBe(false);
    expect(isRuleEnabled('state-capacity', 'on', havant)).toBe(true);
    expect(isRuleEnabled('state-capacity', { enabled: true, severity: 'info' }, havant)).toBe(true);
    expect(isRuleEnabled('no-blind-copies', 'off', havant)).toBe(false);
  });

  it("cites the council's clauses first, then the profile's, else none (the catalogue's)", () => {
    expect(ruleClauses('no-blind-copies', { enabled: true, clauses: ['12.1'] }, havant)).toEqual(['12.1']);
    expect(ruleClauses('no-blind-copies', 'on', havant)).toEqual(['9.1']);
    expect(ruleClauses('press-via-clerk', undefined, havant)).toEqual(['10.1', '10.3']);
    expect(ruleClauses('state-capacity', undefined, havant)).toBeUndefined();
    expect(ruleClauses('no-blind-copies', undefined)).toBeUndefined();
  });

  it("hands the engine the profile's clauses by rule", () => {
    const map = profileClauseMap(havant);
    expect(map.name).toBe('havant');
    expect(map.rules.get('press-via-clerk')).toEqual(['10.1', '10.3']);
    expect(map.rules.has('state-capacity')).toBe(false);
    expect(map.rules.size).toBe(10);
  });
});
