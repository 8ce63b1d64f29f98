package fwi.edge.web;

import fwi.edge.inference.InferenceService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/**
 * {@code /q/health} in the MicroProfile Health JSON format: {@code live} is up while the process
 * serves HTTP; {@code ready} is up when a model is loaded AND the broker is connected. 503 when down.
 *
 * <p>Hand-written rather than {@code quarkus-smallrye-health}: that extension is not published for
 * the pinned Quarkus platform on the Maven mirror this project builds from, and two checks do not
 * justify its weight on a Pi.
 */
@Path("/q/health")
public class HealthResource {
  private final InferenceService service;
  private final AgentStatus status;

  HealthResource(InferenceService service, AgentStatus status) {
    this.service = service;
    this.status = status;
  }

  /** One named check. */
  public record Check(String name, String status, Map<String, Object> data) {
  }

  /** The answer: overall status and its checks. */
  public record Health(String status, List<Check> checks) {
  }

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public Response all() {
    return answer(List.of(live(), model(), broker()));
  }

  @GET
  @Path("/live")
  @Produces(MediaType.APPLICATION_JSON)
  public Response liveness() {
    return answer(List.of(live()));
  }

  @GET
  @Path("/ready")
  @Produces(MediaType.APPLICATION_JSON)
  public Response readiness() {
    return answer(List.of(model(), broker()));
  }

  private static Check live() {
    return new Check("agent", "UP", Map.of());
  }

  private Check model() {
    return service.inference().model()
        .map(m -> new Check("model loaded", "UP", Map.<String, Object>of("model", m.label())))
        .orElseGet(() -> new Check("model loaded", "DOWN", Map.of("reason", "no model yet; waiting for OTA")));
  }

  private Check broker() {
    return new Check("broker connected", status.brokerConnected() ? "UP" : "DOWN",
        Map.of("buffered", status.publishBuffered()));
  }

  private static Response answer(List<Check> checks) {
    boolean up = checks.stream().allMatch(c -> c.status().equals("UP"));
    return Response.status(up ? 200 : 503).type(MediaType.APPLICATION_JSON)
        .entity(new Health(up ? "UP" : "DOWN", checks)).build();
  }
}
