package fwi.cloud.service;

import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without {@code fwi.service.api-token} the API is read-only: every mutating route answers 403, whatever header it gets. */
@QuarkusTest
@TestProfile(ReadOnlyApiTest.WithoutToken.class)
class ReadOnlyApiTest {
  /** HTTP on, no API token. */
  public static class WithoutToken implements QuarkusTestProfile {
    /** HTTP on a free port: what every API test needs. */
    static final Map<String, String> HTTP = Map.of("quarkus.http.host-enabled", "true", "quarkus.http.test-port", "0");

    @Override
    public Map<String, String> getConfigOverrides() {
      return HTTP;
    }
  }

  @Test
  void everyMutatingRouteIsForbiddenWithoutAConfiguredToken() {
    for (String path : FleetApiTest.MUTATING) {
      for (String auth : new String[] {null, "Bearer ", "Bearer anything", "Bearer null"}) {
        FleetApiTest.post(path, auth).statusCode(403).body("error", containsString("read-only"));
      }
    }
  }
}
