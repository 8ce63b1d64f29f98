package fwi.cloud.sim;

/** What a simulated device publishes, each under {@code fwi/v1/dev/{deviceId}/<suffix>}. */
public enum SimStream {
  /** Birth, QoS 1, retained, after connecting. */
  BIRTH("birth"),
  /** Telemetry, QoS 1, every telemetry interval. */
  TELEMETRY("telemetry"),
  /** InferenceResult with a float16 velocity map, QoS 1, at the result rate. */
  RESULT("result"),
  /** Death (SHUTDOWN), QoS 1, retained, at the end of a run; the will (CONNECTION_LOST) otherwise. */
  DEATH("death");

  private final String suffix;

  SimStream(String suffix) {
    this.suffix = suffix;
  }

  /** The topic of this stream for {@code deviceId}. */
  public String topic(String deviceId) {
    return "fwi/v1/dev/" + deviceId + "/" + suffix;
  }

  public String suffix() {
    return suffix;
  }
}
