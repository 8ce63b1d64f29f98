package fwi.edge;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /agent}: who this agent is. Inference and OTA endpoints arrive with the agent's own issue. */
@Path("/agent")
public class AgentResource {
  private final AgentIdentity identity;

  AgentResource(AgentIdentity identity) {
    this.identity = identity;
  }

  /** Identity as JSON: {@code {"deviceId": ..., "profile": ...}}. */
  public record Info(String deviceId, String profile) {}

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Info info() {
    return new Info(identity.deviceId(), identity.profile());
  }
}
