package fwi.cloud.prune;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many channels each group keeps.
 *
 * @param kind how the plan was made: {@code uniform}, {@code layers}, {@code sensitivity}, {@code latency}
 * @param keep group name -> channels to keep; groups not named keep all their channels
 * @param settings the inputs that produced the plan (ratio, round-to, targets), recorded in the model
 */
public record PrunePlan(String kind, Map<String, Integer> keep, Map<String, String> settings) {
  public PrunePlan {
    if (kind == null || kind.isBlank()) {
      throw new IllegalArgumentException("plan kind must be named, but was '" + kind + "'");
    }
    keep.forEach((g, k) -> {
      if (k == null || k < 1) {
        throw new IllegalArgumentException("group '" + g + "' must keep at least 1 channel, but the plan keeps " + k);
      }
    });
    keep = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keep));
    settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }
}
