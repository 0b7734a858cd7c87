/**
 * A small reader for Graph's CSDL ($metadata) — enough to check payload property names and enum
 * values against the published schema. One pass over the text with indexOf; the attribute
 * pattern has no nested quantifiers, so it stays linear in the 3 MB file.
 */
export interface CsdlType {
  readonly kind: 'EntityType' | 'ComplexType' | 'EnumType';
  readonly name: string;
  readonly baseType?: string;
  readonly openType: boolean;
  readonly isFlags: boolean;
  /** Property and navigation property name → type (e.g. Edm.String, graph.recipient, Collection(graph.attendee)). */
  readonly props: Map<string, string>;
  /** EnumType member names. */
  readonly members: Set<string>;
}

const ATTR = /([\w:.]+)="([^"]*)"/g;

function attrs(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(ATTR)) if (m[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  return out;
}

/** Types of the `microsoft.graph` schema, keyed `graph.<name>`. */
export function readCsdl(xml: string): Map<string, CsdlType> {
  const types = new Map<string, CsdlType>();
  let namespace = '';
  let current: CsdlType | undefined;
  let i = 0;
  for (;;) {
    const open = xml.indexOf('<', i);
    if (open < 0) break;
    const close = xml.indexOf('>', open);
    if (close < 0) break;
    i = close + 1;
    const tag = xml.slice(open + 1, close);
    if (tag.startsWith('?') || tag.startsWith('!')) continue;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (name === 'EntityType' || name === 'ComplexType' || name === 'EnumType') current = undefined;
      continue;
    }
    const end = tag.search(/[\s/]/);
    const element = end < 0 ? tag : tag.slice(0, end);
    const selfClosing = tag.endsWith('/');
    if (element === 'Schema') {
      namespace = attrs(tag).get('Namespace') ?? '';
      continue;
    }
    if (namespace !== 'microsoft.graph') continue;
    if (element === 'EntityType' || element === 'ComplexType' || element === 'EnumType') {
      const a = attrs(tag);
      const t: CsdlType = {
        kind: element, name: a.get('Name') ?? '', openType: a.get('OpenType') === 'true', isFlags: a.get('IsFlags') === 'true',
        props: new Map(), members: new Set(), ...(a.get('BaseType') ? { baseType: a.get('BaseType') } : {}),
      };
      types.set(`graph.${t.name}`, t);
      current = selfClosing ? undefined : t;
    } else if (current && (element === 'Property' || element === 'NavigationProperty')) {
      const a = attrs(tag);
      current.props.set(a.get('Name') ?? '', a.get('Type') ?? '');
    } else if (current && element === 'Member') {
      current.members.add(attrs(tag).get('Name') ?? '');
    }
  }
  return types;
}

/** The declared type of a property, looked up through the base types. */
export function propertyType(types: Map<string, CsdlType>, typeName: string, prop: string): string | undefined {
  for (let t = types.get(typeName); t; t = t.baseType ? types.get(t.baseType) : undefined) {
    const found = t.props.get(prop);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Every property of `value` (recursively through complex and entity types) that the schema does
 * not declare for `typeName`, and every enum value it does not list. Instance annotations
 * (`@odata.etag`, `@removed`) are not properties. Open complex types (e.g. resourceData) accept
 * any property; `strict` types are checked even when the schema marks them open.
 */
export function schemaProblems(types: Map<string, CsdlType>, typeName: string, value: unknown, path: string, strict: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const t = types.get(typeName);
  if (!t) return [`${path}: unknown type ${typeName}`];
  if (t.kind === 'EnumType') {
    const parts = t.isFlags && typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [value];
    for (const p of parts) if (typeof p !== 'string' || !t.members.has(p)) problems.push(`${path}: ${JSON.stringify(p)} is not a ${typeName} value`);
    return problems;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return problems;
  for (const [key, v] of Object.entries(value)) {
    if (key.includes('@')) continue;
    const declared = propertyType(types, typeName, key);
    if (declared === undefined) {
      if (!(t.openType && !strict.has(typeName))) problems.push(`${path}.${key}: not a property of ${typeName}`);
      continue;
    }
    const collection = /^Collection\((.*)\)$/.exec(declared);
    const inner = collection?.[1] ?? declared;
    if (!inner.startsWith('graph.') || v === null) continue;
    if (collection && Array.isArray(v)) v.forEach((el, i) => problems.push(...schemaProblems(types, inner, el, `${path}.${key}[${i}]`, strict)));
    else if (!collection) problems.push(...schemaProblems(types, inner, v, `${path}.${key}`, strict));
    else problems.push(`${path}.${key}: expected a collection`);
  }
  return problems;
}
