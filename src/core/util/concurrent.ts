/**
 * Bounded concurrency over a stream: at most `limit` calls of `fn` run at once, the source is read
 * only when a slot is free (so nothing piles up in memory), and results come out as they finish.
 * The first error stops reading the source and is thrown once the calls under way have settled.
 */
export async function* mapUnordered<T, R>(source: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R, void, undefined> {
  const it = Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
  const slots = Math.max(1, Math.floor(limit));
  const running = new Map<number, Promise<{ id: number; ok: true; value: R } | { id: number; ok: false; error: unknown }>>();
  let nextId = 0;
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  try {
    for (;;) {
      while (!exhausted && failure === undefined && running.size < slots) {
        const step = await it.next();
        if (step.done === true) {
          exhausted = true;
          break;
        }
        const id = nextId++;
        running.set(
          id,
          fn(step.value).then(
            (value) => ({ id, ok: true as const, value }),
            (error: unknown) => ({ id, ok: false as const, error }),
          ),
        );
      }
      if (running.size === 0) break;
      const settled = await Promise.race(running.values());
      running.delete(settled.id);
      if (!settled.ok) failure ??= { error: settled.error };
      else if (failure === undefined) yield settled.value;
    }
    if (failure !== undefined) throw failure.error;
  } finally {
    await Promise.allSettled(running.values());
    if (!exhausted) await it.return?.();
  }
}
