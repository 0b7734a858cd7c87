import { describe, expect, it } from 'vitest';
import { Directory } from '../../src/directory/directory.js';
import { A, council, directory } from '../support/council.js';

describe('Directory.personNamed', () => {
  it('finds the one person a display name means, titles and order aside', () => {
    for (const name of ['Cllr Tom Brown', 'Tom Brown', 'Councillor Tom Brown', 'Brown, Tom', '"Brown, Tom (Cllr)"', 'TOM BROWN']) {
      expect(directory.personNamed(name)?.id, name).toBe(A.tom);
    }
  });

  it('finds nobody for a name nobody has, a partial name, or an empty one', () => {
    expect(directory.personNamed('Tom')).toBeUndefined();
    expect(directory.personNamed('Thomas Brown')).toBeUndefined();
    expect(directory.personNamed('Cllr')).toBeUndefined();
    expect(directory.personNamed('')).toBeUndefined();
  });

  it('finds nobody when two people share the name', () => {
    const twice = new Directory({
      ...council,
      people: [
        ...council.people,
        { name: 'Tom Brown', emails: ['t.brown@millbrook-tc.gov.uk'], role: 'officer', wards: [], titles: [] },
      ],
    });
    expect(twice.personNamed('Tom Brown')).toBeUndefined();
  });
});
