package fwi.cloud.ota;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code Header.sequence} for the cloud's OTA messages without a file per counter: each number is
 * {@code max(previous + 1, now_ms * 1000)}, so numbers strictly increase within a process and are
 * not reused after a restart as long as the process averaged fewer than 1000 messages per
 * millisecond and the wall clock did not step back. Unlike a device's counter, a gap here means
 * nothing (nobody reads the cloud's sequence for loss); devices ignore it, readers of logs may
 * order by it. Thread-safe.
 */
final class Sequence {
  private final AtomicLong last = new AtomicLong();
  private final LongSupplier clockMs;

  Sequence(LongSupplier clockMs) {
    this.clockMs = clockMs;
  }

  Sequence() {
    this(System::currentTimeMillis);
  }

  long next() {
    long floor = clockMs.getAsLong() * 1000;
    return last.updateAndGet(prev -> Math.max(prev + 1, floor));
  }
}
