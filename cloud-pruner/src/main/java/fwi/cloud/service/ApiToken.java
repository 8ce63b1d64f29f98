package fwi.cloud.service;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

/** Checks the bearer token of calls that change something; compares in constant time, never logs it. */
final class ApiToken {
  private ApiToken() {
  }

  /** @throws WebApplicationException 403 when no token is configured, 401 when the header is missing or wrong */
  static void require(Optional<String> configured, String authorization) {
    if (configured.isEmpty()) {
      throw fail(403, "this call changes the fleet and the API is read-only: set fwi.service.api-token to enable it");
    }
    byte[] expected = ("Bearer " + configured.get()).getBytes(StandardCharsets.UTF_8);
    if (authorization == null || !MessageDigest.isEqual(expected, authorization.getBytes(StandardCharsets.UTF_8))) {
      throw fail(401, "this call needs header 'Authorization: Bearer <fwi.service.api-token>'");
    }
  }

  static WebApplicationException fail(int status, String message) {
    return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON)
        .entity(Map.of("error", message)).build());
  }
}
