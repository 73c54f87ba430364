/** An append-only numeric column that doubles its typed array (no per-element objects). */
export class GrowArray {
  private a: Float64Array;
  length = 0;

  constructor(capacity = 256) {
    this.a = new Float64Array(capacity);
  }

  push(v: number): void {
    if (this.length === this.a.length) {
      const next = new Float64Array(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.length++] = v;
  }

  get(i: number): number {
    return this.a[i]!;
  }
}
