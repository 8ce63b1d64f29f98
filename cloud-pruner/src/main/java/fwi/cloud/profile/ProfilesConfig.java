package fwi.cloud.profile;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;
import java.util.Map;

/**
 * The hardware profile catalog ({@code fwi.profiles.<name>.*}); the defaults in
 * {@code application.properties} describe four Raspberry Pi classes. Checked by {@link ProfileCatalog}.
 */
@ConfigMapping(prefix = "fwi.profiles")
public interface ProfilesConfig {
  /** Profiles by name. */
  @WithParentName
  Map<String, Profile> profiles();

  /** One profile's settings. */
  interface Profile {
    @WithName("cpu-cores")
    int cpuCores();

    @WithName("memory-bytes")
    long memoryBytes();

    /** p95 of one session run must stay at or below this, ms. */
    @WithName("latency-p95-slo-ms")
    double latencyP95SloMs();

    @WithName("memory-budget-bytes")
    long memoryBudgetBytes();

    @WithName("cpu-description")
    java.util.Optional<String> cpuDescription();

    /** Expected slowdown against the reference machine, until telemetry arrives. */
    @WithName("prior-slowdown")
    @WithDefault("1.0")
    double priorSlowdown();
  }
}
