package fwi.cloud.web;

import fwi.cloud.rollout.Rollout;
import fwi.cloud.service.FleetResource;
import java.util.List;
import java.util.Map;

/**
 * Everything the dashboard shows at one moment, as one JSON document of the live stream. The parts
 * are exactly the bodies of the fleet API ({@code GET /api/profiles}, {@code /api/devices},
 * {@code /api/rollouts}, {@code /api/jobs}, {@code /api/models}, {@code /api/bridge}), so the page and
 * scripts read one shape.
 *
 * @param alarms most urgent first
 * @param results the latest results of the devices heard from most recently, newest first
 * @param service the body of {@code GET /api/bridge}: bridge and block-server counters, replay and planning state
 */
public record Snapshot(long timeUnixMs, List<Alarm> alarms, List<FleetResource.Profile> profiles,
    List<FleetResource.Device> devices, List<Rollout.Status> rollouts, List<FleetResource.Job> jobs,
    List<FleetResource.Model> models, List<ResultsFeed.Latest> results, Map<String, Object> service) {

  /**
   * What counts as a change worth sending at once: an alarm raised or cleared, a device going online or
   * offline or changing model or OTA state, a rollout or job changing state, stage or gate, a model
   * registered or made current. Latencies, counters and last-seen times tick steadily and go with the
   * periodic snapshot.
   */
  record Signature(List<String> alarms, List<String> devices, List<String> rollouts, List<String> jobs,
      List<String> models) {
  }

  Signature signature() {
    return new Signature(
        alarms.stream().map(a -> a.severity() + " " + a.kind() + " " + a.subject()).toList(),
        devices.stream().map(d -> d.deviceId() + " " + d.online() + " " + d.modelVersion() + " " + d.otaState())
            .toList(),
        rollouts.stream().map(r -> r.id() + " " + r.state() + " " + r.stage() + " " + r.devices()
            + r.stages().stream().map(Rollout.StageStatus::gate).toList()).toList(),
        jobs.stream().map(j -> j.jobId() + " " + j.state() + " " + j.phase() + " " + Math.round(j.progressPercent()))
            .toList(),
        models.stream().map(m -> m.profile() + "/" + m.version() + (m.current() ? " current" : "")).toList());
  }
}
