package fwi.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, checking it every few milliseconds: the alternative to sleeping in tests. */
public final class Poll {
  private Poll() {
  }

  /**
   * Returns as soon as {@code condition} holds.
   *
   * @throws AssertionError with {@code what} (evaluated at the deadline) if it does not hold within {@code timeout}
   */
  public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what.get());
      }
      try {
        Thread.sleep(5); // poll interval, bounded by the deadline above
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what.get(), e);
      }
    }
  }
}
