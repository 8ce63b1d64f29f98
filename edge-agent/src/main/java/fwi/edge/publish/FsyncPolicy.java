package fwi.edge.publish;

import java.time.Duration;

/**
 * When the {@link Outbox} forces appended entries from the page cache to the storage device.
 *
 * <p>Every append is a {@code write(2)} into the page cache, so an entry survives a crash of the
 * agent process (including {@code kill -9}) as soon as {@link Outbox#append} returns, whatever
 * the policy. The policy decides what survives a power cut or kernel crash:
 *
 * <ul>
 *   <li>{@link #everyAppend()}: every entry, at the price of one {@code fdatasync} per append,
 *       which costs milliseconds on an SD card and wears it; for low message rates.
 *   <li>{@link #interval(Duration)}: everything appended more than {@code interval} before the cut
 *       (the append that finds the last sync older than the interval syncs, and
 *       {@link Outbox#syncIfDue()} covers a quiet period); the default, 1 s.
 *   <li>{@link #never()}: whatever the kernel had written back (Linux: dirty pages older than
 *       about 30 s); for tests and benchmarks.
 * </ul>
 *
 * Acknowledgements are never forced: losing one in a power cut only makes the entry be sent
 * again, and readers drop the duplicate by its sequence number.
 *
 * @param kind which of the three policies
 * @param interval the longest time an appended entry stays unsynced: positive for
 *     {@link Kind#INTERVAL}, {@link Duration#ZERO} otherwise
 */
public record FsyncPolicy(Kind kind, Duration interval) {
  /** The three policies. */
  public enum Kind {
    EVERY_APPEND,
    INTERVAL,
    NEVER
  }

  /** @throws IllegalArgumentException if the interval does not fit the kind */
  public FsyncPolicy {
    if (kind == null) {
      throw new IllegalArgumentException("fsync policy kind must be set, but was null");
    }
    if (interval == null) {
      throw new IllegalArgumentException("fsync interval must be set, but was null");
    }
    if (kind == Kind.INTERVAL && (interval.isNegative() || interval.isZero())) {
      throw new IllegalArgumentException("fsync interval must be positive, but was " + interval.toMillis() + " ms");
    }
    if (kind != Kind.INTERVAL && !interval.isZero()) {
      throw new IllegalArgumentException(
          "fsync interval must be 0 for policy " + kind + ", but was " + interval.toMillis() + " ms");
    }
  }

  /** Sync after every append. */
  public static FsyncPolicy everyAppend() {
    return new FsyncPolicy(Kind.EVERY_APPEND, Duration.ZERO);
  }

  /** Sync when the last sync is older than {@code interval}. */
  public static FsyncPolicy interval(Duration interval) {
    return new FsyncPolicy(Kind.INTERVAL, interval);
  }

  /** Never sync explicitly (only on close); leave write-back to the kernel. */
  public static FsyncPolicy never() {
    return new FsyncPolicy(Kind.NEVER, Duration.ZERO);
  }

  /**
   * The policy for a configured interval in milliseconds: 0 syncs every append, a positive value
   * is an interval, -1 never syncs.
   *
   * @throws IllegalArgumentException if {@code intervalMs} is below -1
   */
  public static FsyncPolicy ofIntervalMs(long intervalMs) {
    if (intervalMs < -1) {
      throw new IllegalArgumentException(
          "fsync interval must be -1 (never), 0 (every append) or positive ms, but was " + intervalMs);
    }
    return intervalMs == -1 ? never() : intervalMs == 0 ? everyAppend() : interval(Duration.ofMillis(intervalMs));
  }
}
