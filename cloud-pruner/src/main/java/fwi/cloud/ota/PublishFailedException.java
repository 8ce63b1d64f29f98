package fwi.cloud.ota;

/**
 * A message did not reach the broker: not connected, no acknowledgement in time, or refused
 * ({@link #retriable()} false: e.g. not authorized by the broker's ACL, or too large for it).
 */
public final class PublishFailedException extends Exception {
  private final boolean retriable;

  public PublishFailedException(String message, boolean retriable, Throwable cause) {
    super(message, cause);
    this.retriable = retriable;
  }

  /** True if sending the same message again later can succeed (broker down or slow). */
  public boolean retriable() {
    return retriable;
  }
}
