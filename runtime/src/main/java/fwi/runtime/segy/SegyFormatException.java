package fwi.runtime.segy;

import java.io.IOException;

/**
 * A file is not a SEG-Y file of the kind we accept (too short, unsupported sample format or
 * revision, inconsistent headers, wrong number of traces). Fatal for that file: retrying will not
 * help. The message names the file, the header field (by its 1-based SEG-Y byte positions), the
 * expected and the actual value.
 */
public final class SegyFormatException extends IOException {
  public SegyFormatException(String message) {
    super(message);
  }
}
