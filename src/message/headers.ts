/**
 * Header fields of one RTSP/HTTP message, in arrival order.
 *
 * - Lookup is case-insensitive (RFC 2326 §4.2, RFC 9110 §5.1; VLC's server writes `Cseq:`,
 *   docs/camera-quirks.md #20), while the original spelling is kept for display and re-encoding.
 * - Repeated fields are kept in order (a 401 from GStreamer carries two `WWW-Authenticate`, Basic first:
 *   docs/camera-quirks.md #22). `get` returns the first, `getAll` every one.
 * - A message has at most a few dozen fields (the head parser caps the count), so parallel arrays
 *   searched linearly beat a Map here and keep duplicates for free.
 */
export type HeadersInit = Headers | Iterable<readonly [string, string]> | Record<string, string | number>;

export class Headers implements Iterable<[string, string]> {
  private readonly names: string[] = [];
  private readonly keys: string[] = [];
  private readonly values: string[] = [];

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (init instanceof Headers || Symbol.iterator in init) {
      for (const [n, v] of init as Iterable<readonly [string, string]>) this.append(n, v);
    } else {
      for (const n of Object.keys(init)) this.append(n, String((init as Record<string, string | number>)[n]));
    }
  }

  get size(): number {
    return this.names.length;
  }

  append(name: string, value: string): void {
    this.names.push(name);
    this.keys.push(name.toLowerCase());
    this.values.push(value);
  }

  /** Replaces every field named `name` (any case) with one field. */
  set(name: string, value: string): void {
    this.delete(name);
    this.append(name, value);
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        this.names.splice(i, 1);
        this.keys.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  /** First value of `name` (any case), or undefined. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.values[i];
    return undefined;
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) out.push(this.values[i]!);
    return out;
  }

  has(name: string): boolean {
    return this.keys.indexOf(name.toLowerCase()) >= 0;
  }

  /** `[originalName, value]` pairs in arrival order. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  toJSON(): Array<[string, string]> {
    return [...this.entries()];
  }
}
