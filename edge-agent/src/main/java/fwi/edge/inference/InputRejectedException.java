package fwi.edge.inference;

/**
 * An input the agent refuses before inference: wrong shape, NaN or infinite values, too large or
 * unreadable. The message names the offending value. Not retriable with the same input.
 */
public final class InputRejectedException extends Exception {
  /** What was wrong, for counters and HTTP status codes. */
  public enum Kind {
    /** The bytes are not a tensor we read (bad .npy header, truncated body, bad shape header). */
    MALFORMED,
    /** The tensor does not have the model's input shape. */
    SHAPE,
    /** A value is NaN or infinite. */
    NON_FINITE,
    /** The input is larger than the configured limit. */
    TOO_LARGE
  }

  private final Kind kind;

  public InputRejectedException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
