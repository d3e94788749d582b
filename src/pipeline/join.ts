/**
 * nginx's two views of one request, joined on `$request_id`: the mirrored copy (with its body) and
 * the access-log line (with the status, bytes and time). Judged copies wait here for their log
 * line; the tail source claims them, and the pair is stored as one row. A copy whose line does not
 * come within the wait is stored alone; a line that comes later still finds its row in the store,
 * which merges the two (src/store/writer.ts). Nothing here is durable on purpose: a copy lost in a
 * crash leaves its log line, which the tail stores from its checkpoint.
 */
import { requestIdOf, type HttpRequest } from "../core/http-request.ts";
import type { Verdict } from "../detect/verdict.ts";

/** A mirrored copy, judged (and redacted): what the join holds and what the store receives. */
export interface JudgedCopy {
  request: HttpRequest;
  verdict: Verdict;
  blocked: boolean;
}

/** A log line and its copy, as one request: the copy's content and verdict, the log's outcome. */
export type JoinedRequest = JudgedCopy;

export interface MirrorJoinOptions {
  /** How long a copy waits for its log line before it is stored alone. */
  waitMs: number;
  /** Copies held at most; past it the oldest is stored alone at once (memory stays bounded). */
  maxPending: number;
  /** Stores copies whose line did not come (in time, or at all). */
  storeAlone(copies: JudgedCopy[]): void;
  /** A monotonic clock, ms. */
  monotonic(): number;
}

/** The copy's request with what only the log line knows: when it finished, its status, bytes and time. */
function withLogFields(copy: HttpRequest, line: HttpRequest): HttpRequest {
  return {
    ...copy,
    time: line.time ?? copy.time,
    status: line.status,
    bytesSent: line.bytesSent,
    requestTime: line.requestTime,
    extra: { ...line.extra, ...copy.extra },
    origin: line.origin,
  };
}

/** How long a log line waits at most for a copy that arrived but is still being judged. */
const IN_FLIGHT_WAIT_MS = 5000;

/** Removes a map's oldest entries (its insertion order) as long as `due` holds for the next one; returns their values. */
function shiftWhile<K, V>(map: Map<K, V>, due: (value: V) => boolean): V[] {
  const taken: V[] = [];
  for (const [key, value] of map) {
    if (!due(value)) break;
    map.delete(key);
    taken.push(value);
  }
  return taken;
}

export class MirrorJoin {
  /** Insertion order is arrival order: the oldest copies come first. */
  private readonly pending = new Map<string, { copy: JudgedCopy; at: number }>();
  /**
   * Copies received and not judged yet, by request id. nginx writes a log line right after Moat has
   * answered its copy, so the tail often reads the line while the copy is still being judged: the
   * line waits for it (briefly) instead of being stored without its body.
   */
  private readonly inFlight = new Map<string, { done: Promise<void>; resolve: () => void }>();
  /**
   * Log lines stored without their copy, by request id, for the wait: a copy that comes after its
   * line (the line was read before the copy reached this thread) is stored at once, merged into the
   * line's row, instead of waiting for a line that has come already.
   */
  private readonly linesWithoutCopy = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  joined = 0;
  alone = 0;

  constructor(private readonly options: MirrorJoinOptions) {
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, options.waitMs / 4)));
    this.timer.unref?.();
  }

  get size(): number {
    return this.pending.size;
  }

  /** A copy was received and queued for judging: its log line will wait for it. */
  expect(copy: HttpRequest): void {
    const id = requestIdOf(copy);
    if (id === null || this.inFlight.has(id)) return;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.inFlight.set(id, { done, resolve });
  }

  /** Copies that will not be offered (their judging failed): their lines stop waiting. */
  forget(copies: HttpRequest[]): void {
    for (const copy of copies) this.settle(requestIdOf(copy));
  }

  private settle(id: string | null): void {
    if (id === null) return;
    this.inFlight.get(id)?.resolve();
    this.inFlight.delete(id);
  }

  /**
   * The copies of these log lines' requests, merged with the lines (undefined where none is
   * waiting): a line whose copy is still being judged waits for it, at most IN_FLIGHT_WAIT_MS.
   */
  async claimAll(lines: HttpRequest[]): Promise<(JoinedRequest | undefined)[]> {
    const waits: Promise<void>[] = [];
    for (const line of lines) {
      const id = requestIdOf(line);
      const flight = id === null ? undefined : this.inFlight.get(id);
      if (flight) waits.push(flight.done);
    }
    if (waits.length) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(waits), new Promise<void>((r) => (timer = setTimeout(r, IN_FLIGHT_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return lines.map((line) => this.claim(line));
  }

  /** Holds judged copies for their log lines; a copy without an id has no line to wait for. */
  offer(copies: JudgedCopy[]): void {
    const now = this.options.monotonic();
    const alone: JudgedCopy[] = [];
    for (const copy of copies) {
      const id = requestIdOf(copy.request);
      // No line to wait for: none can name it, a copy waits for it already, or it came first (and was stored).
      if (id === null || this.pending.has(id) || this.linesWithoutCopy.delete(id)) alone.push(copy);
      else this.pending.set(id, { copy, at: now });
    }
    for (const copy of copies) this.settle(requestIdOf(copy.request));
    const overflow = shiftWhile(this.pending, () => this.pending.size > this.options.maxPending);
    this.store([...alone, ...overflow.map((p) => p.copy)]);
  }

  /** The copy of a log line's request, merged with the line, when it is waiting here. */
  claim(line: HttpRequest): JoinedRequest | undefined {
    const id = requestIdOf(line);
    const held = id === null ? undefined : this.pending.get(id);
    if (!held) {
      if (id !== null) this.rememberLine(id);
      return undefined;
    }
    this.pending.delete(id!);
    this.joined++;
    return { ...held.copy, request: withLogFields(held.copy.request, line) };
  }

  private rememberLine(id: string): void {
    this.linesWithoutCopy.delete(id);
    this.linesWithoutCopy.set(id, this.options.monotonic());
    shiftWhile(this.linesWithoutCopy, () => this.linesWithoutCopy.size > this.options.maxPending);
  }

  /** Stores the copies that waited their time, and forgets the lines that waited as long for theirs. */
  sweep(): void {
    const cutoff = this.options.monotonic() - this.options.waitMs;
    shiftWhile(this.linesWithoutCopy, (at) => at <= cutoff);
    this.store(shiftWhile(this.pending, (p) => p.at <= cutoff).map((p) => p.copy));
  }

  /** Stops waiting: every held copy is stored alone (at shutdown). */
  close(): void {
    clearInterval(this.timer);
    for (const id of [...this.inFlight.keys()]) this.settle(id);
    const rest = [...this.pending.values()].map((p) => p.copy);
    this.pending.clear();
    this.store(rest);
  }

  private store(copies: JudgedCopy[]): void {
    if (!copies.length) return;
    this.alone += copies.length;
    this.options.storeAlone(copies);
  }
}
