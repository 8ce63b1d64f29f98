package fwi.cloud.web;

import fwi.cloud.bridge.KafkaTopics;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * The dashboard's data: the live stream of {@link Snapshot}s (Server-Sent Events), the latest
 * snapshot, the per-profile latency history and each device's latest result and velocity map. Read
 * only, no credentials; the page's rollout actions go to the fleet API, which checks the token. Every
 * call answers 503 while the fleet service does not run in this process.
 */
@Path("/api")
public class DashboardResource {
  private final Dashboard dashboard;

  DashboardResource(Dashboard dashboard) {
    this.dashboard = dashboard;
  }

  private Dashboard.Running running() {
    return dashboard.running().orElseThrow(() -> fail(503,
        "the fleet service is not running in this process (start it with `pruner serve`)"));
  }

  /** A snapshot at once, then one every {@code fwi.dashboard.snapshot-interval-ms} and on every change. */
  @GET
  @Path("/stream")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  public Multi<Snapshot> stream() {
    return running().hub().stream();
  }

  @GET
  @Path("/snapshot")
  @Produces(MediaType.APPLICATION_JSON)
  public Snapshot snapshot() {
    return running().hub().latest().orElseThrow(() -> fail(503, "the first dashboard snapshot is not built yet"));
  }

  /** Each profile's recent p50/p95 points (the last {@code fwi.dashboard.history-ms}), oldest first. */
  @GET
  @Path("/latency-history")
  @Produces(MediaType.APPLICATION_JSON)
  public Map<String, List<LatencyHistory.Point>> latencyHistory() {
    return running().history().since(System.currentTimeMillis());
  }

  @GET
  @Path("/devices/{id}/result")
  @Produces(MediaType.APPLICATION_JSON)
  public ResultsFeed.Latest result(@PathParam("id") String id) {
    return running().results().latest(id).orElseThrow(() -> fail(404, "no result of device '" + id
        + "' since the dashboard started reading " + KafkaTopics.RESULTS));
  }

  /** The device's latest velocity map as a PNG: colour bar in m/s, axes in metres. */
  @GET
  @Path("/devices/{id}/velocity.png")
  @Produces({"image/png", MediaType.APPLICATION_JSON})
  public Response velocityPng(@PathParam("id") String id) {
    ResultsFeed results = running().results();
    ResultsFeed.Latest latest = results.latest(id).orElseThrow(() -> fail(404, "no result of device '" + id
        + "' since the dashboard started reading " + KafkaTopics.RESULTS));
    byte[] png;
    try {
      png = results.velocityPng(id).orElseThrow(() -> fail(404, "the latest result of device '" + id
          + "' (sequence " + latest.sequence() + ") carries no velocity map: the agent sends summaries only"));
    } catch (IllegalArgumentException e) {
      throw fail(422, "the velocity map of device '" + id + "' cannot be drawn: " + e.getMessage());
    }
    CacheControl cache = new CacheControl();
    cache.setNoCache(true); // the same URL shows the next result; the page adds ?seq= to fetch a new one
    return Response.ok(png, "image/png").cacheControl(cache).header("X-Result-Sequence", latest.sequence()).build();
  }

  private static WebApplicationException fail(int status, String message) {
    return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON)
        .entity(Map.of("error", message)).build());
  }
}
