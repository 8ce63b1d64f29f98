package fwi.cloud.service;

import fwi.cloud.fleet.DeviceView;
import fwi.cloud.fleet.FleetState;
import fwi.cloud.jobs.JobStore;
import fwi.cloud.planner.Planner;
import fwi.cloud.profile.LatencyFit;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.rollout.Rollout;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet API: devices, profiles (SLO, fitted latency model and its error, recent latency), jobs and
 * rollouts. Calls that change something need the API token ({@link ApiToken}).
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class FleetResource {
  private final FleetService service;

  FleetResource(FleetService service) {
    this.service = service;
  }

  private FleetService running() {
    if (!service.started()) {
      throw ApiToken.fail(503, "the fleet service is not running in this process (start it with `pruner serve`)");
    }
    return service;
  }

  /** A device as the API shows it. */
  public record Device(String deviceId, String profile, String agentVersion, boolean online, long lastSeenUnixMs,
      String modelId, long modelVersion, String modelSha256, String otaState, double lastP95Ms) {
    static Device of(DeviceView v) {
      return new Device(v.deviceId(), v.profile(), v.agentVersion(), v.online(), v.lastSeenUnixMs(),
          v.runningModel().map(m -> m.getModelId()).orElse(""), v.runningModel().map(m -> m.getVersion()).orElse(0L),
          v.runningModel().map(m -> HexFormat.of().formatHex(m.getSha256().toByteArray())).orElse(""), v.otaState(),
          v.lastP95Us() / 1000.0);
    }
  }

  @GET
  @Path("/devices")
  public List<Device> devices() {
    return running().fleet().devices().stream().map(Device::of).toList();
  }

  @GET
  @Path("/devices/{id}")
  public Device device(@PathParam("id") String id) {
    return running().fleet().device(id).map(Device::of)
        .orElseThrow(() -> ApiToken.fail(404, "no device '" + id + "' has reported"));
  }

  /** A profile with its latency model and recent field latency. */
  public record Profile(ProfileSpec spec, double sloMs, LatencyFit.Estimate latencyModel,
      Optional<FleetState.ProfileLatency> recent, long devices, long online, boolean jobRunning) {
  }

  @GET
  @Path("/profiles")
  public List<Profile> profiles() {
    FleetService s = running();
    long now = System.currentTimeMillis();
    Collection<DeviceView> devs = s.fleet().devices();
    return s.catalog().all().stream().map(p -> new Profile(p, p.latencyP95SloUs() / 1000.0,
        s.catalog().fit(p.name()).estimate(), s.fleet().profileLatency(p.name(), now),
        devs.stream().filter(d -> d.profile().equals(p.name())).count(),
        devs.stream().filter(d -> d.profile().equals(p.name()) && d.online()).count(),
        s.planner().jobRunning(p.name()))).toList();
  }

  /** A job and its latest report, as JSON-friendly text. */
  public record Job(String jobId, String profile, String state, String phase, double progressPercent,
      String errorDetail, String resultingModel) {
    static Job of(JobStore.Entry e) {
      var r = e.report();
      return new Job(e.job().getJobId(), e.job().getProfile().getName(), r.getState().name().replace("PRUNE_JOB_STATE_", ""),
          r.getPhase().name().replace("PRUNE_PHASE_", ""), r.getProgressPercent(), r.getErrorDetail(),
          r.hasResultingModel() ? r.getResultingModel().getModelId() + "@" + r.getResultingModel().getVersion() : "");
    }
  }

  @GET
  @Path("/jobs")
  public List<Job> jobs() {
    return running().jobStore().all().stream().map(Job::of).toList();
  }

  /** Operator: plan a compression job for {@code profile} now. */
  @POST
  @Path("/profiles/{profile}/jobs")
  public Map<String, Object> requestJob(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth,
      @PathParam("profile") String profile, @QueryParam("why") String why) {
    FleetService s = running();
    ApiToken.require(s.config().apiToken(), auth);
    ProfileSpec p = s.catalog().get(profile)
        .orElseThrow(() -> ApiToken.fail(404, "unknown hardware profile '" + profile + "'"));
    try {
      Planner.Decision d = s.planner().request(p, Planner.Trigger.REQUEST,
          s.fleet().profileLatency(profile, System.currentTimeMillis()), s.catalog().fit(profile).estimate(),
          why == null ? "operator request" : why);
      return Map.of("profile", d.profile(), "targetProfileMs", d.targetProfileMs(), "targetReferenceMs",
          d.targetReferenceMs(), "reason", d.reason());
    } catch (IllegalStateException e) {
      throw ApiToken.fail(409, e.getMessage());
    }
  }

  @GET
  @Path("/rollouts")
  public List<Rollout.Status> rollouts() {
    return running().rollouts().stream().map(Rollout::status).toList();
  }

  /** Operator: pause, resume or abort a rollout. */
  @POST
  @Path("/rollouts/{id}/{action}")
  public Rollout.Status act(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth, @PathParam("id") String id,
      @PathParam("action") String action, @QueryParam("why") String why) {
    FleetService s = running();
    ApiToken.require(s.config().apiToken(), auth);
    Rollout r = s.rollout(id).orElseThrow(() -> ApiToken.fail(404, "no rollout '" + id + "'"));
    String reason = why == null ? "operator" : why;
    switch (action) {
      case "pause" -> r.pause(reason);
      case "resume" -> r.resume();
      case "abort" -> r.abort("aborted by " + reason, System.currentTimeMillis());
      default -> throw ApiToken.fail(400, "rollout action must be pause, resume or abort, but was '" + action + "'");
    }
    return r.status();
  }
}
