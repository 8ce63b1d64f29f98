package fwi.cloud.bridge;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** The latest problem a bridge saw, stamped with when it saw it; the bridge and its lanes share one. Thread-safe. */
final class LastError {
  private volatile Optional<String> value = Optional.empty();

  /** Records {@code what} as the latest problem, prefixed with the current time (ISO-8601, UTC). */
  void set(String what) {
    value = Optional.of(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + what);
  }

  Optional<String> get() {
    return value;
  }
}
