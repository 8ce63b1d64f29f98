package fwi.edge.ota;

import fwi.proto.v1.OtaReason;

/** Reason numbers as the agent handles them: ints, so a reason this build does not know still travels. */
final class OtaReasons {
  /** The manifest's graph interface does not fit the active model's; see ota_status.proto. */
  static final int INTERFACE_MISMATCH = OtaReason.OTA_REASON_INTERFACE_MISMATCH_VALUE;

  /** This device rolled the model back before; see ota_status.proto. */
  static final int MODEL_ROLLED_BACK = OtaReason.OTA_REASON_MODEL_ROLLED_BACK_VALUE;

  private OtaReasons() {}

  static OtaReason of(int value) {
    OtaReason r = OtaReason.forNumber(value);
    return r == null ? OtaReason.UNRECOGNIZED : r;
  }

  /** For logs: the enum name, or the number of a reason this build does not know. */
  static String name(int value) {
    OtaReason r = OtaReason.forNumber(value);
    return r == null ? "OTA_REASON(" + value + ")" : r.name();
  }
}
