package fwi.edge.telemetry;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** What the agent reports and how often ({@code fwi.report.*}). */
@ConfigMapping(prefix = "fwi.report")
public interface ReportConfig {
  /** Length of a telemetry window, ms; a model swap also closes the window. */
  @WithName("telemetry-interval-ms")
  @WithDefault("10000")
  long telemetryIntervalMs();

  /**
   * How each result carries its velocity map: {@code float16} (2 bytes per value, at most 1 m/s off
   * between 2048 and 4096 m/s), {@code uint16} (scaled to the map's range), {@code float32} (exact) or
   * {@code none} (summary statistics only, the smallest message).
   */
  @WithName("result-encoding")
  @WithDefault("float16")
  String resultEncoding();
}
