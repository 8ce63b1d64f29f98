package fwi.edge.ota;

import fwi.proto.v1.OtaReason;

/**
 * An over-the-air update step failed for a reason the device reports: the message is the status
 * {@code detail} and names the offending value (for example expected and actual SHA-256).
 *
 * <p>Not retriable as such: the update that raised it ends in the state its reason belongs to
 * (REJECTED, FAILED or ROLLED_BACK). The reason is kept as its wire number so that values added
 * to {@code fwi.v1.OtaReason} after this build (see {@link #reasonValue()}) are reported unchanged.
 */
public final class OtaException extends Exception {
  private final int reasonValue;

  /** @throws IllegalArgumentException if {@code reason} is UNSPECIFIED or UNRECOGNIZED */
  public OtaException(OtaReason reason, String detail) {
    this(checked(reason), detail);
  }

  OtaException(int reasonValue, String detail) {
    super(detail);
    if (reasonValue <= 0) {
      throw new IllegalArgumentException("OTA failure reason must be a positive OtaReason number, but was " + reasonValue);
    }
    this.reasonValue = reasonValue;
  }

  private static int checked(OtaReason reason) {
    if (reason == OtaReason.UNRECOGNIZED) {
      throw new IllegalArgumentException("OTA failure reason must be a known OtaReason, but was UNRECOGNIZED");
    }
    return reason.getNumber();
  }

  /** The reason, or {@link OtaReason#UNRECOGNIZED} for a number this build's proto does not name yet. */
  public OtaReason reason() {
    return OtaReasons.of(reasonValue);
  }

  /** The reason's wire number ({@code OtaStatus.reason}). */
  public int reasonValue() {
    return reasonValue;
  }

  /** What went wrong, naming the offending value; the status {@code detail}. */
  public String detail() {
    return getMessage();
  }
}
