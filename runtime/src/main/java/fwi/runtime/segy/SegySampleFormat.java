package fwi.runtime.segy;

/**
 * The trace sample encodings we read and write, with their SEG-Y data sample format codes
 * (binary header bytes 3225-3226). Both are 4 bytes, big-endian.
 */
public enum SegySampleFormat {
  /** Code 1: IBM System/360 hexadecimal floating point (24-bit fraction, base-16 exponent). */
  IBM_FLOAT(1, "IBM float"),
  /** Code 5: IEEE 754 binary32. */
  IEEE_FLOAT(5, "IEEE float");

  private final int code;
  private final String label;

  SegySampleFormat(int code, String label) {
    this.code = code;
    this.label = label;
  }

  /** The SEG-Y format code, 1 or 5. */
  public int code() {
    return code;
  }

  /** Bytes per sample; 4 for both supported formats. */
  public int bytesPerSample() {
    return 4;
  }

  /**
   * The format for a code read from {@code file}.
   *
   * @throws SegyFormatException for any code other than 1 and 5, naming what the code means
   */
  static SegySampleFormat fromCode(int code, String file) throws SegyFormatException {
    for (SegySampleFormat f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    throw new SegyFormatException(file + ": binary header bytes 3225-3226 (data sample format code): format code "
        + code + " (" + describe(code) + ") is not supported; supported: 1 (IBM float), 5 (IEEE float)");
  }

  private static String describe(int code) {
    return switch (code) {
      case 2 -> "4-byte integer";
      case 3 -> "2-byte integer";
      case 4 -> "4-byte fixed point with gain";
      case 6 -> "8-byte IEEE float";
      case 7 -> "3-byte integer";
      case 8 -> "1-byte integer";
      case 9 -> "8-byte integer";
      case 10 -> "4-byte unsigned integer";
      case 11 -> "2-byte unsigned integer";
      case 12 -> "8-byte unsigned integer";
      case 15 -> "3-byte unsigned integer";
      case 16 -> "1-byte unsigned integer";
      default -> "unknown";
    };
  }

  @Override
  public String toString() {
    return code + " (" + label + ")";
  }
}
