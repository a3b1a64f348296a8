import { AtcliError } from '../errors.js';

/** Waits `ms`; rejects with an 'interrupted' AtcliError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, what = 'interrupted while waiting'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AtcliError('interrupted', 'Interrupted', what));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AtcliError('interrupted', 'Interrupted', what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
