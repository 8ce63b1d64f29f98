package fwi.edge;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AgentResourceTest {
  @Test
  void reportsConfiguredIdentity() {
    given().when().get("/agent").then().statusCode(200)
        .body("deviceId", equalTo("test-device-1"))
        .body("profile", equalTo("pi-3b"));
  }
}
