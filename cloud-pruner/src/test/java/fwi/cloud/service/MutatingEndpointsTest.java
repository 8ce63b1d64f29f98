package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.testing.Endpoints;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the service that changes something takes the API token, so a new one cannot be
 * added without it; {@link FleetApiTest} sends each of them without, with a wrong and with the token.
 */
class MutatingEndpointsTest {
  @Test
  void everyMutatingEndpointTakesTheApiToken() {
    List<Endpoints.Mutating> mutating = Endpoints.mutating(FleetResource.class);

    assertEquals(List.of(), mutating.stream().filter(m -> !m.takesAuthorization()).toList(),
        "mutating endpoints without an Authorization header parameter");
    assertEquals(List.of("FleetResource#act", "FleetResource#requestJob", "FleetResource#upload"),
        mutating.stream().map(Endpoints.Mutating::method).sorted().toList(),
        "FleetApiTest must send each mutating endpoint without and with a wrong token");
  }
}
