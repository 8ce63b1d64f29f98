package fwi.edge.web;

import fwi.edge.AgentIdentity;
import fwi.edge.inference.Inference;
import fwi.edge.inference.InferenceService;
import fwi.edge.inference.LatencyWindow;
import fwi.edge.inference.ModelInfo;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Optional;

/** Data behind the local page ({@code index.html}): status, latency points and the latest pictures. */
@Path("/api")
public class PageResource {
  private final AgentIdentity identity;
  private final InferenceService service;
  private final LatestResult latest;
  private final AgentStatus status;

  PageResource(AgentIdentity identity, InferenceService service, LatestResult latest, AgentStatus status) {
    this.identity = identity;
    this.service = service;
    this.latest = latest;
    this.status = status;
  }

  /** Local percentiles over the last inferences, ms. */
  public record Latency(int count, double p50Ms, double p95Ms, double p99Ms, double maxMs) {
  }

  /** Everything the page's header shows. */
  public record Status(String deviceId, String profile, Optional<ModelInfo> model, Optional<String> inputShape,
      Latency latency, Inference.Totals totals, boolean brokerConnected, long publishBuffered, long publishDropped,
      String otaState, Optional<String> latestInputId) {
  }

  @GET
  @Path("/status")
  @Produces(MediaType.APPLICATION_JSON)
  public Status status() {
    Inference inf = service.inference();
    LatencyWindow.Snapshot s = inf.recentLatency();
    return new Status(identity.deviceId(), identity.profile(), inf.model(),
        inf.inputSpec().map(t -> t.describeDims()),
        new Latency(s.count(), s.p50() / 1e6, s.p95() / 1e6, s.p99() / 1e6, s.max() / 1e6), inf.totals(),
        status.brokerConnected(), status.publishBuffered(), status.publishDropped(), status.otaState(),
        latest.latest().map(Inference.Outcome::inputId));
  }

  @GET
  @Path("/latency")
  @Produces(MediaType.APPLICATION_JSON)
  public List<LatestResult.Point> latency() {
    return latest.points();
  }

  @GET
  @Path("/latest/gather.png")
  @Produces("image/png")
  @Blocking
  public Response gather() {
    return png(latest.gatherPng());
  }

  @GET
  @Path("/latest/velocity.png")
  @Produces("image/png")
  @Blocking
  public Response velocity() {
    return png(latest.velocityPng());
  }

  private static Response png(Optional<byte[]> png) {
    return png.map(b -> Response.ok(b, "image/png").header("Cache-Control", "no-store").build())
        .orElseGet(() -> Response.status(404).type(MediaType.TEXT_PLAIN).entity("no inference yet").build());
  }
}
