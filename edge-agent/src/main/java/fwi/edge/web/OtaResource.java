package fwi.edge.web;

import fwi.edge.AgentConfig;
import fwi.edge.EdgeAgent;
import fwi.edge.inference.ModelInfo;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /ota/rollback?why=...}: the operator's command to go back to the previous model (it is
 * smoke-tested first, reported as ROLLED_BACK / OPERATOR_REQUEST). Needs
 * {@code Authorization: Bearer <fwi.agent.admin-token>}; without a configured token the command is off.
 */
@Path("/ota")
public class OtaResource {
  private final AgentConfig config;
  private final EdgeAgent agent;

  OtaResource(AgentConfig config, EdgeAgent agent) {
    this.config = config;
    this.agent = agent;
  }

  @POST
  @Path("/rollback")
  @Blocking
  public Response rollback(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth, @QueryParam("why") String why) {
    if (config.adminToken().isEmpty()) {
      return error(403, "rollback over HTTP is off: set fwi.agent.admin-token to enable it");
    }
    byte[] expected = ("Bearer " + config.adminToken().get()).getBytes(StandardCharsets.UTF_8);
    if (auth == null || !MessageDigest.isEqual(expected, auth.getBytes(StandardCharsets.UTF_8))) {
      return error(401, "rollback needs header 'Authorization: Bearer <fwi.agent.admin-token>'");
    }
    String reason = why == null || why.isBlank() ? "local operator" : why;
    try {
      ModelInfo m = agent.rollback(reason).get(5, TimeUnit.MINUTES);
      return Response.ok(Map.of("serving", m.label(), "sha256", m.sha256Hex()), MediaType.APPLICATION_JSON).build();
    } catch (ExecutionException e) {
      return error(409, "rollback failed: " + e.getCause().getMessage());
    } catch (TimeoutException e) {
      return error(504, "rollback did not finish within 5 minutes; see the OTA status");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(503, "interrupted");
    }
  }

  private static Response error(int status, String message) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
  }
}
