package fwi.cloud.profile;

import fwi.proto.v1.HardwareProfile;
import java.util.regex.Pattern;

/**
 * One hardware profile of the catalog: what a device class has and what a model must meet on it.
 *
 * @param name lower-case letters, digits and '-', 1 to 32 chars (an MQTT topic segment)
 * @param cpuCores cores available to inference, at least 1
 * @param memoryBytes RAM of one device, at least 64 MiB
 * @param latencyP95SloUs the p95 of one session run must stay at or below this, microseconds, at least 1
 * @param memoryBudgetBytes most resident memory the agent may use, at most {@code memoryBytes}
 * @param cpuDescription for humans, e.g. "4x Cortex-A72 @ 1.8 GHz"
 * @param priorSlowdown how many times slower than the reference machine (where latency tables are
 *     measured) a device of this profile is expected to run a model, until its own telemetry says
 *     otherwise; positive
 */
public record ProfileSpec(String name, int cpuCores, long memoryBytes, long latencyP95SloUs, long memoryBudgetBytes,
    String cpuDescription, double priorSlowdown) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,32}");

  public ProfileSpec {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("profile name must match " + NAME.pattern() + ", but was '" + name + "'");
    }
    if (cpuCores < 1) {
      throw new IllegalArgumentException("profile " + name + ": cpu cores must be at least 1, but was " + cpuCores);
    }
    if (memoryBytes < 64L << 20) {
      throw new IllegalArgumentException("profile " + name + ": memory must be at least 64 MiB, but was " + memoryBytes
          + " bytes");
    }
    if (latencyP95SloUs < 1) {
      throw new IllegalArgumentException("profile " + name + ": p95 latency SLO must be at least 1 us, but was "
          + latencyP95SloUs);
    }
    if (memoryBudgetBytes < 1 || memoryBudgetBytes > memoryBytes) {
      throw new IllegalArgumentException("profile " + name + ": memory budget must be in [1, " + memoryBytes
          + "] bytes, but was " + memoryBudgetBytes);
    }
    if (!(priorSlowdown > 0) || Double.isInfinite(priorSlowdown)) {
      throw new IllegalArgumentException("profile " + name + ": prior slowdown must be positive and finite, but was "
          + priorSlowdown);
    }
    cpuDescription = cpuDescription == null ? "" : cpuDescription;
  }

  /** The wire record (copied into prune jobs). */
  public HardwareProfile toProto() {
    return HardwareProfile.newBuilder().setSchemaVersion(1).setName(name).setCpuCores(cpuCores)
        .setMemoryBytes(memoryBytes).setLatencyP95SloUs(latencyP95SloUs).setMemoryBudgetBytes(memoryBudgetBytes)
        .setCpuDescription(cpuDescription).build();
  }
}
