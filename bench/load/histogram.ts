/** A fixed-bucket latency histogram (0.05 ms buckets up to 2 s, then one overflow bucket): O(1) per sample. */
export class Histogram {
  private readonly buckets = new Float64Array(40_001);
  count = 0;
  max = 0;

  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.buckets[Math.min(40_000, Math.floor(v * 20))]!++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** The q-quantile (0..1), as the upper edge of its bucket (ms); `max` when it is in the overflow bucket. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= want) return i === 40_000 ? this.max : (i + 1) / 20;
    }
    return this.max;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
    this.max = 0;
  }
}
