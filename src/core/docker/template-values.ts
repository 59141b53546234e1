/**
 * The values a template sees, typed as Go types them.
 *
 * Plain data stands for what Go decodes JSON into (`interface{}` holding string, bool,
 * float64/int, `[]interface{}`, `map[string]interface{}`, nil). Where Docker hands a template
 * typed values (its API structs, decoded from the daemon's JSON), Layerscope uses the classes
 * here so that printing, `index`, `len`, `%T` and zero values follow the Go type:
 *
 * - GoStruct: a struct (or pointer to one, when the type name starts with `*`), fields in
 *   declared order; embedded structs promote their fields;
 * - GoSlice / GoMap: a typed slice or map that may be nil (`[]` / `map[]` when printed, but
 *   `null` in JSON), whose missing map keys read as the element type's zero value;
 * - GoNum: a number of a named numeric type (`int64`, `float64`, `uint8`, `int32`…);
 * - GoTime: a `time.Time`, printed through its String method.
 */

export type GoType =
  | { kind: 'string' | 'bool' | 'interface' }
  | { kind: 'int' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint' | 'uint8' | 'uint16' | 'uint32' | 'uint64' }
  | { kind: 'float32' | 'float64' }
  | { kind: 'slice'; elem: GoType }
  | { kind: 'map'; key: GoType; elem: GoType }
  | { kind: 'struct'; name: string; zero?: () => unknown }
  | { kind: 'ptr'; elem: GoType };

export const T = {
  string: { kind: 'string' },
  bool: { kind: 'bool' },
  any: { kind: 'interface' },
  int: { kind: 'int' },
  int64: { kind: 'int64' },
  float64: { kind: 'float64' },
  slice: (elem: GoType): GoType => ({ kind: 'slice', elem }),
  map: (elem: GoType, key: GoType = { kind: 'string' }): GoType => ({ kind: 'map', key, elem }),
  emptyStruct: { kind: 'struct', name: 'struct {}', zero: () => EMPTY_STRUCT },
} satisfies Record<string, GoType | ((...a: never[]) => GoType)>;

export function typeString(t: GoType): string {
  switch (t.kind) {
    case 'interface':
      return 'interface {}';
    case 'slice':
      return '[]' + typeString(t.elem);
    case 'map':
      return `map[${typeString(t.key)}]${typeString(t.elem)}`;
    case 'struct':
      return t.name;
    case 'ptr':
      return '*' + typeString(t.elem);
    default:
      return t.kind;
  }
}

/** A docker/cli formatter context or an API struct: known fields only, in declared order. */
export class GoStruct {
  constructor(
    /** Go type name, e.g. `*formatter.imageContext`, `image.RootFS` (`*` marks a pointer). */
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
    /**
     * `marshaler`: the context has MarshalJSON (formatter.MarshalJSON: a map, keys sorted,
     * HTML-escaped); `struct`: encoded as a plain Go struct, fields in declared order.
     */
    readonly json: 'marshaler' | 'struct' = 'marshaler',
    /** What encoding/json writes for a struct whose `omitempty` fields drop out. */
    readonly jsonValue?: unknown,
    /** Fields that are embedded structs: their fields are promoted (`.Env` of ImageConfig). */
    readonly embedded: readonly string[] = [],
  ) {}

  get isPointer(): boolean {
    return this.typeName.startsWith('*');
  }

  /** Field lookup with Go's promotion through embedded structs. */
  lookup(name: string): { found: boolean; value?: unknown } {
    if (Object.prototype.hasOwnProperty.call(this.fields, name)) return { found: true, value: this.fields[name] };
    for (const e of this.embedded) {
      const inner = this.fields[e];
      if (inner instanceof GoStruct) {
        const r = inner.lookup(name);
        if (r.found) return r;
      }
    }
    return { found: false };
  }

  /** JSON.stringify hook, so nested contexts encode as Go would. */
  toJSON(): unknown {
    if (this.jsonValue !== undefined) return this.jsonValue;
    if (this.json === 'struct') return { ...this.fields };
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(this.fields).sort()) o[k] = this.fields[k];
    return o;
  }
}

const EMPTY_STRUCT = new GoStruct('struct {}', {}, 'struct');

/** A typed slice; `items === null` is the nil slice. */
export class GoSlice {
  constructor(
    readonly elem: GoType,
    readonly items: readonly unknown[] | null,
  ) {}
  toJSON(): unknown {
    return this.items;
  }
}

/** A typed map; `entries === null` is the nil map. */
export class GoMap {
  constructor(
    readonly elem: GoType,
    readonly entries: Readonly<Record<string, unknown>> | null,
    readonly key: GoType = T.string,
  ) {}
  toJSON(): unknown {
    // encoding/json writes map keys sorted.
    if (!this.entries) return null;
    const o: Record<string, unknown> = {};
    for (const k of sortedKeys(this.entries)) o[k] = this.entries[k];
    return o;
  }
}

/** A number of a named numeric type (`{{printf "%T" .Size}}` is `int64`). */
export class GoNum {
  constructor(
    readonly type:
      | 'time.Duration'
      | 'int'
      | 'int8'
      | 'int16'
      | 'int32'
      | 'int64'
      | 'uint'
      | 'uint8'
      | 'uint16'
      | 'uint32'
      | 'uint64'
      | 'float32'
      | 'float64',
    readonly value: number,
  ) {}
  toJSON(): unknown {
    return this.value;
  }
}

/** `time.Time` (UTC): `%v` is its String method, JSON is RFC 3339 with nanoseconds. */
export class GoTime {
  /** `rfc3339`: `2024-01-02T03:04:05.5Z`; the zero time is `0001-01-01T00:00:00Z`. */
  constructor(readonly rfc3339: string) {}
  toString(): string {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(this.rfc3339);
    if (!m) return this.rfc3339;
    const frac = (m[3] ?? '').replace(/0+$/, '');
    return `${m[1]} ${m[2]}${frac === '.' ? '' : frac} +0000 UTC`;
  }
  toJSON(): unknown {
    return this.rfc3339;
  }
}

/** A typed nil pointer (`*container.HealthConfig(nil)`): prints `<nil>`, reads as false. */
export class GoNil {
  constructor(readonly typeName: string) {}
  toJSON(): unknown {
    return null;
  }
}

export function isInt(v: unknown): v is number | GoNum {
  if (typeof v === 'number') return Number.isInteger(v);
  return v instanceof GoNum && !v.type.startsWith('float');
}
export function isFloat(v: unknown): v is number | GoNum {
  if (typeof v === 'number') return !Number.isInteger(v) || Object.is(v, -0);
  return v instanceof GoNum && v.type.startsWith('float');
}
export function isUnsigned(v: unknown): boolean {
  return v instanceof GoNum && v.type.startsWith('uint');
}
export function numValue(v: unknown): number {
  return v instanceof GoNum ? v.value : (v as number);
}

/** Go's dynamic type name (`%T`, error messages). `undefined` is a missing value. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (v instanceof GoStruct || v instanceof GoNil) return v.typeName;
  if (v instanceof GoSlice) return '[]' + typeString(v.elem);
  if (v instanceof GoMap) return `map[${typeString(v.key)}]${typeString(v.elem)}`;
  if (v instanceof GoNum) return v.type;
  if (v instanceof GoTime) return 'time.Time';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return isFloat(v) ? 'float64' : 'int';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** The reflect.Kind family of a value, for comparisons and builtins. */
export type Kind = 'nil' | 'string' | 'bool' | 'int' | 'uint' | 'float' | 'slice' | 'map' | 'struct' | 'ptr';
export function kindOf(v: unknown): Kind {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (isUnsigned(v)) return 'uint';
  if (isInt(v)) return 'int';
  if (isFloat(v)) return 'float';
  if (Array.isArray(v) || v instanceof GoSlice) return 'slice';
  if (v instanceof GoStruct) return v.isPointer ? 'ptr' : 'struct';
  if (v instanceof GoTime) return 'struct';
  if (v instanceof GoNil) return 'ptr';
  return 'map';
}

/** Slice elements, or null for a nil slice; undefined when not a slice. */
export function sliceItems(v: unknown): readonly unknown[] | null | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof GoSlice) return v.items ?? [];
  return undefined;
}

/** Map entries (empty for a nil map); undefined when not a map. */
export function mapEntries(v: unknown): Readonly<Record<string, unknown>> | undefined {
  if (v instanceof GoMap) return v.entries ?? {};
  if (v !== null && typeof v === 'object' && kindOf(v) === 'map') return v as Record<string, unknown>;
  return undefined;
}

/** The zero value of a type, as a missing map key reads. */
export function zeroValue(t: GoType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'interface':
      return undefined;
    case 'slice':
      return new GoSlice(t.elem, null);
    case 'map':
      return new GoMap(t.elem, null, t.key);
    case 'struct':
      return t.zero ? t.zero() : new GoStruct(t.name, {}, 'struct');
    case 'ptr':
      return new GoNil(typeString(t));
    default:
      return new GoNum(t.kind, 0);
  }
}

/** Go's `truth` for if/with/and/or/not: the zero value is false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v instanceof GoNil) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof GoNum) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof GoStruct || v instanceof GoTime) return true;
  const items = sliceItems(v);
  if (items !== undefined) return (items ?? []).length > 0;
  return Object.keys(mapEntries(v) ?? {}).length > 0;
}

/** Map keys in fmtsort order (strings by bytes, numbers by value). */
export function sortedKeys(o: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** time.Duration's String method: `1h2m3.5s`, `1.5ms`, `0s`. */
export function durationString(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = BigInt(Math.abs(Math.trunc(ns)));
  const frac = (v: bigint, digits: number): string => {
    const s = v.toString().padStart(digits + 1, '0');
    const int = s.slice(0, s.length - digits);
    const f = s.slice(s.length - digits).replace(/0+$/, '');
    return f ? `${int}.${f}` : int;
  };
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = frac(u, 3) + '\u00b5s';
    else out = frac(u, 6) + 'ms';
  } else {
    const h = u / 3_600_000_000_000n;
    u %= 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    out = (h > 0n ? `${h}h` : '') + (h > 0n || m > 0n ? `${m}m` : '') + frac(u, 9) + 's';
  }
  return neg ? '-' + out : out;
}
