/** A fixed-size uniform sample of a stream (reservoir sampling), seeded through `random`. */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  constructor(private readonly capacity: number, private readonly random: () => number) {}
  add(item: T): void {
    this.seen++;
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < this.capacity) this.items[j] = item;
    }
  }
}
