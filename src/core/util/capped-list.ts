/**
 * Lists built from untrusted data (problems, warnings, failures) are capped: the first
 * `LIST_CAP` items are kept and the rest are only counted, so a hostile input of any size
 * yields a report of bounded size. Reports carry both parts side by side, e.g.
 * `problems: [...20 items]` and `problemsOmitted: 19983`.
 */

/** How many items a capped list keeps. */
export const LIST_CAP = 20;

export interface Capped<T> {
  /** The first items, at most the cap. */
  items: T[];
  /** How many more there were. */
  omitted: number;
}

/** The first `cap` items of `list` and how many were left out. */
export function capList<T>(list: readonly T[], cap: number = LIST_CAP): Capped<T> {
  return list.length <= cap ? { items: [...list], omitted: 0 } : { items: list.slice(0, cap), omitted: list.length - cap };
}

/** Collects items one by one, keeping the first `cap` and counting the rest (nothing more is held). */
export class CappedList<T> {
  readonly items: T[] = [];
  /** Every item added, kept or not. */
  count = 0;

  constructor(readonly cap: number = LIST_CAP) {}

  add(item: T): void {
    this.count++;
    if (this.items.length < this.cap) this.items.push(item);
  }

  get omitted(): number {
    return this.count - this.items.length;
  }

  result(): Capped<T> {
    return { items: [...this.items], omitted: this.omitted };
  }
}

/** "a; b; c; and 17 more": a capped list as one line of text. */
export function joinCapped(list: Capped<unknown>, separator = '; '): string {
  const text = list.items.map(String).join(separator);
  return list.omitted > 0 ? `${text}${separator}and ${list.omitted} more` : text;
}
