package fwi.cloud.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfileCatalogTest {
  private static ProfilesConfig config(Map<String, String> values) {
    return new SmallRyeConfigBuilder().withMapping(ProfilesConfig.class)
        .withSources(new PropertiesConfigSource(values, "test", 100)).build().getConfigMapping(ProfilesConfig.class);
  }

  @Test
  void readsProfilesFromConfiguration() {
    ProfileCatalog c = ProfileCatalog.from(config(Map.of("fwi.profiles.pi-4b.cpu-cores", "4",
        "fwi.profiles.pi-4b.memory-bytes", "4294967296", "fwi.profiles.pi-4b.latency-p95-slo-ms", "250.5",
        "fwi.profiles.pi-4b.memory-budget-bytes", "1073741824", "fwi.profiles.pi-4b.prior-slowdown", "6")));
    ProfileSpec p = c.get("pi-4b").orElseThrow();
    assertEquals(250_500, p.latencyP95SloUs());
    assertEquals(60.0, c.fit("pi-4b").estimate().predictMs(10), 1e-9);
    assertEquals(List.of("pi-4b"), c.all().stream().map(ProfileSpec::name).toList());
  }

  @Test
  void aBadProfileNamesItsKeyAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProfileCatalog.from(config(Map.of(
        "fwi.profiles.pi-4b.cpu-cores", "0", "fwi.profiles.pi-4b.memory-bytes", "4294967296",
        "fwi.profiles.pi-4b.latency-p95-slo-ms", "250", "fwi.profiles.pi-4b.memory-budget-bytes", "1073741824"))));
    assertEquals("fwi.profiles.pi-4b: profile pi-4b: cpu cores must be at least 1, but was 0", e.getMessage());
  }

  @Test
  void anUnknownProfileIsRefusedNamingTheKnownOnes() {
    ProfileCatalog c = new ProfileCatalog(List.of(new ProfileSpec("pi-5", 4, 8L << 30, 200_000, 2L << 30, "", 2.5)));
    assertEquals("unknown hardware profile 'pi-9'; known: [pi-5]",
        assertThrows(IllegalArgumentException.class, () -> c.fit("pi-9")).getMessage());
  }
}
