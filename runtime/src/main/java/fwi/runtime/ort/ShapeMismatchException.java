package fwi.runtime.ort;

/**
 * A tensor handed to or returned by a model does not have the shape the model declares. The
 * message names the tensor, the expected shape (with {@code N} for a free dimension) and the actual
 * one. Not retriable: the same input fails again.
 */
public final class ShapeMismatchException extends IllegalArgumentException {
  public ShapeMismatchException(String message) {
    super(message);
  }
}
