/**
 * A small JSON Schema validator for the subset DUMP_SCHEMA uses (type, const, enum, properties,
 * required, additionalProperties: false, items, minItems/maxItems, oneOf). Returns the first error.
 */
type Schema = Record<string, unknown>;

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'null':
      return v === null;
    default:
      return typeof v === t;
  }
}

export function validate(s: Schema, v: unknown, path = '$'): string | undefined {
  if (s.oneOf) {
    const ok = (s.oneOf as Schema[]).filter((x) => validate(x, v, path) === undefined);
    if (ok.length !== 1) {
      const why = (s.oneOf as Schema[]).map((x) => validate(x, v, path)).filter(Boolean);
      return `${path}: matches ${ok.length} of oneOf (${why.slice(0, 3).join('; ')})`;
    }
  }
  if (s.const !== undefined && v !== s.const) return `${path}: not ${JSON.stringify(s.const)}`;
  if (s.enum && !(s.enum as unknown[]).includes(v)) return `${path}: ${JSON.stringify(v)} not in enum`;
  if (s.type) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeOk(t, v))) return `${path}: ${JSON.stringify(v)} is not ${types.join('|')}`;
  }
  if (typeOk('object', v) && s.properties) {
    const o = v as Record<string, unknown>;
    const props = s.properties as Record<string, Schema>;
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) return `${path}: missing ${r}`;
    for (const [k, x] of Object.entries(o)) {
      if (!(k in props)) {
        if (s.additionalProperties === false) return `${path}: unexpected ${k}`;
        continue;
      }
      const e = validate(props[k]!, x, `${path}.${k}`);
      if (e) return e;
    }
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) return `${path}: too few items`;
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) return `${path}: too many items`;
    if (s.items) for (let i = 0; i < v.length; i++) {
      const e = validate(s.items as Schema, v[i], `${path}[${i}]`);
      if (e) return e;
    }
  }
  return undefined;
}
