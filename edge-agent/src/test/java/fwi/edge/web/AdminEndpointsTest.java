package fwi.edge.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.testing.Endpoints;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent's endpoints that change something: the operator's rollback takes the admin token, and
 * the only other one is {@code POST /infer}, the input path (its bodies are fuzzed by PayloadsFuzzTest).
 * A new admin endpoint cannot be added without the token. {@code EdgeAgentTest} sends the rollback
 * without, with wrong and with the right token.
 */
class AdminEndpointsTest {
  @Test
  void everyMutatingEndpointButTheInputTakesTheAdminToken() {
    List<Endpoints.Mutating> mutating = Endpoints.mutating(OtaResource.class);

    assertEquals(List.of("InferResource#infer", "OtaResource#rollback"),
        mutating.stream().map(Endpoints.Mutating::method).sorted().toList());
    assertEquals(List.of("InferResource#infer"),
        mutating.stream().filter(m -> !m.takesAuthorization()).map(Endpoints.Mutating::method).toList());
  }
}
