package fwi.cloud.profile;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hardware profiles the fleet knows, each with its fitted latency model. Immutable catalog, the
 * fits are updated from telemetry. Thread-safe.
 */
public final class ProfileCatalog {
  private final Map<String, ProfileSpec> specs;
  private final Map<String, LatencyFit> fits = new ConcurrentHashMap<>();

  /** @throws IllegalArgumentException naming the profile and the bad value */
  public ProfileCatalog(Collection<ProfileSpec> profiles) {
    Map<String, ProfileSpec> m = new TreeMap<>();
    for (ProfileSpec p : profiles) {
      if (m.put(p.name(), p) != null) {
        throw new IllegalArgumentException("profile " + p.name() + " is defined twice");
      }
      fits.put(p.name(), new LatencyFit(p.priorSlowdown()));
    }
    specs = java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The catalog from configuration.
   *
   * @throws IllegalArgumentException naming {@code fwi.profiles.<name>} and the bad value
   */
  public static ProfileCatalog from(ProfilesConfig config) {
    java.util.List<ProfileSpec> list = new java.util.ArrayList<>();
    for (Map.Entry<String, ProfilesConfig.Profile> e : config.profiles().entrySet()) {
      ProfilesConfig.Profile p = e.getValue();
      try {
        list.add(new ProfileSpec(e.getKey(), p.cpuCores(), p.memoryBytes(), Math.round(p.latencyP95SloMs() * 1000),
            p.memoryBudgetBytes(), p.cpuDescription().orElse(""), p.priorSlowdown()));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("fwi.profiles." + e.getKey() + ": " + ex.getMessage(), ex);
      }
    }
    return new ProfileCatalog(list);
  }

  public Collection<ProfileSpec> all() {
    return specs.values();
  }

  public Optional<ProfileSpec> get(String name) {
    return Optional.ofNullable(specs.get(name));
  }

  /**
   * The latency model of {@code profile}.
   *
   * @throws IllegalArgumentException if the catalog has no such profile
   */
  public LatencyFit fit(String profile) {
    LatencyFit f = fits.get(profile);
    if (f == null) {
      throw new IllegalArgumentException("unknown hardware profile '" + profile + "'; known: " + specs.keySet());
    }
    return f;
  }
}
