package fwi.cloud.service;

import fwi.cloud.fleet.DeviceView;
import fwi.cloud.fleet.FleetState;
import fwi.cloud.jobs.JobStore;
import fwi.cloud.planner.Planner;
import fwi.cloud.profile.LatencyFit;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.registry.RegisteredModel;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
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
import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.OptionalDouble;
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

  private CloudService running() {
    CloudService c = service.cloud();
    if (c == null) {
      throw ApiToken.fail(503, "the fleet service is not running in this process (start it with `pruner serve`)");
    }
    return c;
  }

  /** A device as the API shows it; {@code skippedSequences} as in {@link DeviceView#skippedSequences()}. */
  public record Device(String deviceId, String profile, String agentVersion, boolean online, long lastSeenUnixMs,
      String modelId, long modelVersion, String modelSha256, String otaState, double lastP95Ms,
      Map<String, List<DeviceView.SequenceRange>> skippedSequences) {
    static Device of(DeviceView v) {
      return new Device(v.deviceId(), v.profile(), v.agentVersion(), v.online(), v.lastSeenUnixMs(),
          v.runningModel().map(m -> m.getModelId()).orElse(""), v.runningModel().map(m -> m.getVersion()).orElse(0L),
          v.runningModel().map(m -> HexFormat.of().formatHex(m.getSha256().toByteArray())).orElse(""), v.otaState(),
          v.lastP95Us() / 1000.0, new java.util.TreeMap<>(v.skippedSequences()));
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
      Optional<FleetState.ProfileLatency> recent, long devices, long online, boolean jobRunning, long currentVersion,
      String plannerHold) {
  }

  @GET
  @Path("/profiles")
  public List<Profile> profiles() {
    CloudService s = running();
    long now = System.currentTimeMillis();
    Collection<DeviceView> devs = s.fleet().devices();
    return s.catalog().all().stream().map(p -> new Profile(p, p.latencyP95SloUs() / 1000.0,
        s.catalog().fit(p.name()).estimate(), s.fleet().profileLatency(p.name(), now),
        devs.stream().filter(d -> d.profile().equals(p.name())).count(),
        devs.stream().filter(d -> d.profile().equals(p.name()) && d.online()).count(),
        s.planner().jobRunning(p.name()), s.currentVersion(p.name()), s.planner().held(p.name()).orElse(""))).toList();
  }

  /** A job and its latest report, as JSON-friendly values. */
  public record Job(String jobId, String profile, String requestedBy, long createdUnixMs, String state, String phase,
      double progressPercent, String errorDetail, String resultingModel, long resultingVersion, long paramsBefore,
      long paramsAfter, long macsBefore, long macsAfter, double predictedP95Ms, Optional<Quality> qualityBefore,
      Optional<Quality> qualityAfter, boolean retrained, Map<String, Long> phaseMs) {
    static Job of(JobStore.Entry e) {
      var r = e.report();
      Map<String, Long> phases = new LinkedHashMap<>();
      r.getPhaseTimingsList().forEach(t -> phases.merge(t.getPhase().name().replace("PRUNE_PHASE_", ""),
          t.getWallTimeMs(), Long::sum));
      return new Job(e.job().getJobId(), e.job().getProfile().getName(), e.job().getRequestedBy(),
          e.job().getCreatedUnixMs(), r.getState().name().replace("PRUNE_JOB_STATE_", ""),
          r.getPhase().name().replace("PRUNE_PHASE_", ""), r.getProgressPercent(), r.getErrorDetail(),
          r.hasResultingModel() ? r.getResultingModel().getModelId() : "",
          r.hasResultingModel() ? r.getResultingModel().getVersion() : 0, r.getParamCountBefore(),
          r.getParamCountAfter(), r.getMacsBefore(), r.getMacsAfter(), r.getPredictedLatencyP95Us() / 1000.0,
          r.hasQualityBefore() ? Optional.of(quality(r.getQualityBefore())) : Optional.empty(),
          r.hasQualityAfter() ? Optional.of(quality(r.getQualityAfter())) : Optional.empty(), r.getRetrained(), phases);
    }

    private static Quality quality(fwi.proto.v1.QualityMetrics q) {
      return new Quality(q.getMaeMPerS(), q.getRmseMPerS(), q.getSsim(), q.getEvalDatasetId());
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
    ApiToken.require(service.config().apiToken(), auth);
    CloudService s = running();
    s.catalog().get(profile).orElseThrow(() -> ApiToken.fail(404, "unknown hardware profile '" + profile + "'"));
    try {
      Planner.Decision d = s.requestJob(profile, why == null ? "operator request" : why);
      return Map.of("profile", d.profile(), "targetProfileMs", d.targetProfileMs(), "targetReferenceMs",
          d.targetReferenceMs(), "reason", d.reason());
    } catch (IllegalStateException e) {
      throw ApiToken.fail(409, e.getMessage());
    }
  }

  /** A registered model as the API shows it. */
  public record Model(String profile, long version, String modelId, String sha256, long sizeBytes, long createdUnixMs,
      int blockSizeBytes, boolean current, long params, long macs, Optional<Quality> quality,
      Optional<Double> pruneRatio, Optional<Double> predictedP95Ms, String baseModel) {
    static Model of(RegisteredModel m, long current) {
      return new Model(m.profile(), m.version(), m.modelId(), m.sha256Hex(), m.sizeBytes(), m.createdUnixMs(),
          m.blockSizeBytes(), m.version() == current, m.description().params(), m.description().macs(),
          m.quality().map(q -> new Quality(q.getMaeMPerS(), q.getRmseMPerS(), q.getSsim(), q.getEvalDatasetId())),
          m.plan().map(p -> p.getChannelRatio()), m.plan().map(p -> p.getPredictedLatencyP95Us() / 1000.0),
          m.baseModel().map(b -> b.getModelId()).orElse(""));
    }
  }

  /** Accuracy of a model on its evaluation set. */
  public record Quality(double maeMPerS, double rmseMPerS, double ssim, String evalDatasetId) {
  }

  @GET
  @Path("/models")
  public List<Model> models() {
    CloudService s = running();
    return s.registry().profiles().stream().flatMap(p -> s.registry().models(p).stream())
        .map(m -> Model.of(m, s.currentVersion(m.profile()))).toList();
  }

  @GET
  @Path("/models/{profile}/{version}")
  public Model model(@PathParam("profile") String profile, @PathParam("version") long version) {
    CloudService s = running();
    return s.registry().model(profile, version).map(m -> Model.of(m, s.currentVersion(profile)))
        .orElseThrow(() -> ApiToken.fail(404, "profile '" + profile + "' has no model version " + version));
  }

  /** Operator: register an ONNX model for a profile and (unless {@code rollout=false}) roll it out in stages. */
  @POST
  @Path("/profiles/{profile}/models")
  @Consumes(MediaType.APPLICATION_OCTET_STREAM)
  public Map<String, Object> upload(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth,
      @PathParam("profile") String profile, @QueryParam("rollout") @DefaultValue("true") boolean rollout,
      @QueryParam("predictedP95Ms") Double predictedP95Ms, byte[] onnx) {
    ApiToken.require(service.config().apiToken(), auth);
    CloudService s = running();
    s.catalog().get(profile).orElseThrow(() -> ApiToken.fail(404, "unknown hardware profile '" + profile + "'"));
    if (onnx == null || onnx.length == 0) {
      throw ApiToken.fail(400, "the request body must be the ONNX model's bytes, but was empty");
    }
    try {
      CloudService.Upload u = s.registerModel(profile, onnx, rollout,
          predictedP95Ms == null ? OptionalDouble.empty() : OptionalDouble.of(predictedP95Ms));
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", Model.of(u.model(), s.currentVersion(profile)));
      u.rollout().ifPresent(r -> m.put("rollout", r));
      return m;
    } catch (InvalidModelException e) {
      throw ApiToken.fail(400, e.getMessage());
    } catch (IllegalStateException e) {
      throw ApiToken.fail(409, e.getMessage());
    } catch (IllegalArgumentException e) {
      throw ApiToken.fail(400, e.getMessage());
    } catch (IOException e) {
      throw ApiToken.fail(500, "storing the model failed: " + e.getMessage());
    }
  }

  /** Bridge counters, block serving counters. */
  @GET
  @Path("/bridge")
  public Map<String, Object> bridge() {
    CloudService s = running();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bridge", s.bridgeStats().map(Object.class::cast).orElse("off in this instance"));
    m.put("blocks", s.blockStats().map(Object.class::cast).orElse("off"));
    m.put("fleetCaughtUp", s.caughtUp());
    m.put("duplicatesRemoved", s.fleet().duplicates());
    m.put("planning", s.referenceProblem().isEmpty() ? "ready" : s.referenceProblem());
    return m;
  }

  @GET
  @Path("/rollouts")
  public List<Rollout.Status> rollouts() {
    return running().rollouts();
  }

  @GET
  @Path("/rollouts/{id}")
  public Rollout.Status rollout(@PathParam("id") String id) {
    return running().rollout(id).orElseThrow(() -> ApiToken.fail(404, "no rollout '" + id + "'"));
  }

  /** Operator: pause, resume or abort a rollout (abort rolls back the devices that installed it). */
  @POST
  @Path("/rollouts/{id}/{action}")
  public Rollout.Status act(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth, @PathParam("id") String id,
      @PathParam("action") String action, @QueryParam("why") String why) {
    ApiToken.require(service.config().apiToken(), auth);
    CloudService s = running();
    try {
      return s.act(id, action, why == null ? "operator" : why)
          .orElseThrow(() -> ApiToken.fail(404, "no rollout '" + id + "'"));
    } catch (IllegalArgumentException e) {
      throw ApiToken.fail(400, e.getMessage());
    }
  }
}
