/**
 * A bounded single-consumer async queue: the bridge from push parsers (driven by socket reads) to
 * `for await` consumers. When more than `highWaterMark` items wait, `onPressure(true)` is called
 * (the client pauses the socket: TCP backpressure reaches the camera instead of memory growing);
 * once the consumer drains below half of it, `onPressure(false)` resumes reading.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private failure: unknown;
  private pressured = false;
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly sizeOf: ((item: T) => number) | undefined;
  private readonly onReturn: (() => void) | undefined;

  /**
   * `maxBytes` with `sizeOf` bounds the queue in bytes too (pressure when either bound is passed);
   * `onReturn` runs when the consumer leaves its `for await` loop early (break, throw, return).
   */
  constructor(
    private readonly highWaterMark = 256,
    private readonly onPressure?: (paused: boolean) => void,
    opts: { maxBytes?: number; sizeOf?: (item: T) => number; onReturn?: () => void } = {},
  ) {
    this.maxBytes = opts.maxBytes ?? Infinity;
    this.sizeOf = opts.sizeOf;
    this.onReturn = opts.onReturn;
  }

  /** Bytes queued (per `sizeOf`). */
  get queuedBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get closed(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (this.sizeOf) this.bytes += this.sizeOf(item);
    if (!this.pressured && (this.size > this.highWaterMark || this.bytes > this.maxBytes)) {
      this.pressured = true;
      this.onPressure?.(true);
    }
  }

  /** Ends the iteration after the queued items; with an error, the consumer's next() rejects with it. */
  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failure = error;
    // Nothing more is queued after the end: release a paused producer so it is not stuck.
    if (this.pressured) {
      this.pressured = false;
      this.onPressure?.(false);
    }
    const w = this.waiter;
    if (w && this.size === 0) {
      this.waiter = undefined;
      if (error !== undefined) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.sizeOf) this.bytes -= this.sizeOf(value);
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      } else if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      }
      if (this.pressured && this.size <= this.highWaterMark >> 1 && this.bytes <= this.maxBytes / 2) {
        this.pressured = false;
        this.onPressure?.(false);
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      if (this.failure !== undefined) {
        const f = this.failure;
        this.failure = undefined;
        return Promise.reject(f);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.end();
        this.items.length = 0;
        this.head = 0;
        this.bytes = 0;
        this.onReturn?.();
        return { value: undefined, done: true };
      },
    };
  }
}
