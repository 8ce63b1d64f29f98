package fwi.cloud.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The REST layer as a client meets it, in the Quarkus application with the fleet service not started
 * (its parts are exercised with real brokers in {@link FleetLoopTest}): every call that changes
 * something needs the token, checked before anything else; reads answer 503 until {@code pruner
 * serve} starts the service; the OpenAPI document is served.
 */
@QuarkusTest
@TestProfile(FleetApiTest.WithToken.class)
class FleetApiTest {
  /** HTTP on, an API token set. */
  public static class WithToken implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      Map<String, String> c = new java.util.HashMap<>(ReadOnlyApiTest.WithoutToken.HTTP);
      c.put("fwi.service.api-token", "s3cret-token");
      return c;
    }
  }

  @Test
  void mutatingCallsNeedTheBearerTokenAndNeverEchoIt() {
    for (String path : new String[] {"/api/profiles/pi-4b/jobs", "/api/rollouts/r-1/abort"}) {
      given().post(path).then().statusCode(401).body("error", containsString("Authorization: Bearer"));
      given().header("Authorization", "Bearer wrong").post(path).then().statusCode(401)
          .body(org.hamcrest.Matchers.not(containsString("s3cret-token")));
    }
    given().header("Authorization", "Bearer wrong").contentType("application/octet-stream").body(new byte[] {1, 2})
        .post("/api/profiles/pi-4b/models").then().statusCode(401);
  }

  /** Every mutating route ({@link MutatingEndpointsTest} keeps this list complete), with a body where it takes one. */
  static final List<String> MUTATING = List.of("/api/profiles/pi-4b/jobs", "/api/profiles/pi-4b/models",
      "/api/rollouts/r-1/pause", "/api/rollouts/r-1/resume", "/api/rollouts/r-1/abort");

  static io.restassured.response.ValidatableResponse post(String path, String authorization) {
    io.restassured.specification.RequestSpecification r = given().contentType("application/octet-stream")
        .body(new byte[] {8, 1});
    if (authorization != null) {
      r = r.header("Authorization", authorization);
    }
    return r.post(path).then();
  }

  @Test
  void everyMutatingRouteRefusesAMissingMalformedOrWrongToken() {
    for (String path : MUTATING) {
      for (String auth : new String[] {null, "", "s3cret-token", "Bearer", "Bearer ", "bearer s3cret-token",
          "Bearer s3cret-tokenX", "Bearer s3cret-toke", "Basic czNjcmV0LXRva2Vu", "Bearer  s3cret-token"}) {
        post(path, auth).statusCode(401).body("error", containsString("Authorization: Bearer"))
            .body(org.hamcrest.Matchers.not(containsString("s3cret")));
      }
      post(path, "Bearer s3cret-token").statusCode(503); // past the token check: the service is not running here
    }
  }

  @Test
  void withTheTokenACallReachesTheServiceWhichIsNotRunningHere() {
    given().header("Authorization", "Bearer s3cret-token").post("/api/profiles/pi-4b/jobs").then().statusCode(503)
        .body("error", containsString("pruner serve"));
    given().get("/api/devices").then().statusCode(503);
    given().get("/api/models").then().statusCode(503);
  }

  @Test
  void theOpenApiDocumentIsServed() {
    given().get("/q/openapi").then().statusCode(200).body(containsString("openapi: 3.0"))
        .body(containsString("/api/rollouts/{id}/{action}"));
  }
}
