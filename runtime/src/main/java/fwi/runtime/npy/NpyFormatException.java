package fwi.runtime.npy;

import java.io.IOException;

/** A file or stream is not a valid {@code .npy} array of the kind we accept; the message says why. */
public final class NpyFormatException extends IOException {
  public NpyFormatException(String message) {
    super(message);
  }
}
