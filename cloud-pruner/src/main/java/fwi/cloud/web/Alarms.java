package fwi.cloud.web;

import fwi.cloud.bridge.BridgeStats;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.service.FleetResource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Derives the dashboard's alarms from what the fleet service knows: offline devices (one alarm per
 * profile), profiles whose recent p95 is over their SLO, a profile's latest compression job failed,
 * a profile's latest rollout aborted or paused, the bridge holding messages Kafka has not taken for
 * longer than the threshold or missing MQTT connections, the fleet state still replaying Kafka, jobs
 * unable to plan, profiles whose SLO-triggered jobs the planner holds (SLO out of reach). A failed job or aborted rollout stops being an alarm once a later one of the same
 * profile exists. Stateless and thread-safe.
 */
final class Alarms {
  /** How many device ids an offline alarm names before "and N more". */
  static final int NAMED_DEVICES = 5;

  /**
   * What the alarms are derived from.
   *
   * @param rollouts in the order they started
   * @param bridge the bridge's counters; empty when this instance runs no bridge
   * @param planningProblem why compression jobs cannot plan; empty when they can
   */
  record Facts(long nowUnixMs, List<FleetResource.Profile> profiles, List<FleetResource.Device> devices,
      List<FleetResource.Job> jobs, List<Rollout.Status> rollouts, Optional<BridgeStats> bridge,
      boolean fleetCaughtUp, String planningProblem) {
  }

  private final long bridgeWaitingAlarmMs;

  /** @param bridgeWaitingAlarmMs age of the oldest message waiting for Kafka from which the bridge alarms, ms */
  Alarms(long bridgeWaitingAlarmMs) {
    if (bridgeWaitingAlarmMs < 1) {
      throw new IllegalArgumentException("bridge waiting alarm must be at least 1 ms, but was " + bridgeWaitingAlarmMs);
    }
    this.bridgeWaitingAlarmMs = bridgeWaitingAlarmMs;
  }

  /** The alarms, most urgent first. */
  List<Alarm> of(Facts f) {
    List<Alarm> out = new ArrayList<>();
    sloBreaches(f, out);
    for (FleetResource.Profile p : f.profiles()) {
      if (!p.plannerHold().isEmpty()) {
        out.add(new Alarm(Alarm.Severity.WARNING, Alarm.Kind.PLANNER_HELD, p.spec().name(),
            "no more automatic compression jobs: " + p.plannerHold(), 0));
      }
    }
    offlineDevices(f, out);
    bridge(f, out);
    rollouts(f, out);
    failedJobs(f, out);
    if (!f.fleetCaughtUp()) {
      out.add(new Alarm(Alarm.Severity.INFO, Alarm.Kind.FLEET_REPLAYING, "fleet",
          "the fleet state is still replaying Kafka: devices and latencies may be incomplete", 0));
    }
    if (!f.planningProblem().isEmpty()) {
      out.add(new Alarm(Alarm.Severity.INFO, Alarm.Kind.PLANNING_UNAVAILABLE, "planner",
          "compression jobs cannot plan: " + f.planningProblem(), 0));
    }
    out.sort(Comparator.comparing(Alarm::severity).thenComparing(Alarm::kind).thenComparing(Alarm::subject));
    return out;
  }

  private static void sloBreaches(Facts f, List<Alarm> out) {
    for (FleetResource.Profile p : f.profiles()) {
      p.recent().filter(r -> r.p95Ms() > p.sloMs()).ifPresent(r -> out.add(new Alarm(Alarm.Severity.CRITICAL,
          Alarm.Kind.SLO_BREACH, p.spec().name(), String.format(Locale.ROOT,
              "p95 %.1f ms is over the SLO %.1f ms (+%.0f %%) on %d device(s), %d inferences%s", r.p95Ms(), p.sloMs(),
              100 * (r.p95Ms() / p.sloMs() - 1), r.devices(), r.inferences(),
              p.jobRunning() ? "; a compression job is running" : ""), 0)));
    }
  }

  private static void offlineDevices(Facts f, List<Alarm> out) {
    Map<String, List<FleetResource.Device>> byProfile = new TreeMap<>();
    Map<String, Integer> total = new TreeMap<>();
    for (FleetResource.Device d : f.devices()) {
      String profile = d.profile().isEmpty() ? "(no profile)" : d.profile();
      total.merge(profile, 1, Integer::sum);
      if (!d.online()) {
        byProfile.computeIfAbsent(profile, k -> new ArrayList<>()).add(d);
      }
    }
    byProfile.forEach((profile, offline) -> {
      offline.sort(Comparator.comparing(FleetResource.Device::deviceId));
      String named = offline.stream().limit(NAMED_DEVICES).map(FleetResource.Device::deviceId)
          .collect(Collectors.joining(", "));
      if (offline.size() > NAMED_DEVICES) {
        named += " and " + (offline.size() - NAMED_DEVICES) + " more";
      }
      long since = offline.stream().mapToLong(FleetResource.Device::lastSeenUnixMs).filter(t -> t > 0).min().orElse(0);
      Alarm.Severity s = offline.size() == total.get(profile) ? Alarm.Severity.CRITICAL : Alarm.Severity.WARNING;
      out.add(new Alarm(s, Alarm.Kind.DEVICES_OFFLINE, profile,
          offline.size() + " of " + total.get(profile) + " device(s) offline: " + named, since));
    });
  }

  private void bridge(Facts f, List<Alarm> out) {
    if (f.bridge().isEmpty()) {
      return;
    }
    BridgeStats b = f.bridge().get();
    if (b.waitingForKafka() > 0 && b.oldestWaitingMs() >= bridgeWaitingAlarmMs) {
      out.add(new Alarm(Alarm.Severity.CRITICAL, Alarm.Kind.BRIDGE_WAITING_FOR_KAFKA, "bridge", String.format(
          Locale.ROOT, "%d message(s) waiting for Kafka, the oldest for %.1f s (Kafka connection %s)%s",
          b.waitingForKafka(), b.oldestWaitingMs() / 1000.0, b.kafkaConnected() ? "open" : "down",
          b.lastError().map(e -> "; last error: " + e).orElse("")), f.nowUnixMs() - b.oldestWaitingMs()));
    }
    if (!b.mqttConnected()) {
      out.add(new Alarm(Alarm.Severity.CRITICAL, Alarm.Kind.BRIDGE_MQTT_DISCONNECTED, "bridge",
          b.mqttClientsConnected() + " of " + b.mqttClients() + " MQTT connection(s) up: device messages wait in "
              + "the broker" + b.lastError().map(e -> "; last error: " + e).orElse(""), 0));
    }
  }

  private static void rollouts(Facts f, List<Alarm> out) {
    Map<String, Rollout.Status> latest = new LinkedHashMap<>();
    for (Rollout.Status r : f.rollouts()) {
      latest.put(r.profile(), r);
    }
    for (Rollout.Status r : latest.values()) {
      String what = String.format(Locale.ROOT, "rollout of version %d (from %d) ", r.toVersion(), r.fromVersion());
      if (r.state() == Rollout.State.ABORTED) {
        out.add(new Alarm(Alarm.Severity.WARNING, Alarm.Kind.ROLLOUT_ABORTED, r.id(),
            what + "aborted at stage " + r.stage() + " of " + r.stages().size() + ": " + r.reason(), 0));
      } else if (r.state() == Rollout.State.PAUSED) {
        out.add(new Alarm(Alarm.Severity.INFO, Alarm.Kind.ROLLOUT_PAUSED, r.id(),
            what + "paused at stage " + r.stage() + " of " + r.stages().size() + " (" + r.reason() + ")", 0));
      }
    }
  }

  private static void failedJobs(Facts f, List<Alarm> out) {
    Map<String, FleetResource.Job> latest = new TreeMap<>();
    for (FleetResource.Job j : f.jobs()) {
      latest.merge(j.profile(), j, (a, b) -> b.createdUnixMs() >= a.createdUnixMs() ? b : a);
    }
    for (FleetResource.Job j : latest.values()) {
      if (j.state().equals("FAILED")) {
        String why = !j.errorDetail().isEmpty() ? j.errorDetail() // names the phase first
            : "no detail reported" + (j.phase().equals("UNSPECIFIED") ? "" : " (phase " + j.phase() + ")");
        out.add(new Alarm(Alarm.Severity.WARNING, Alarm.Kind.JOB_FAILED, j.jobId(),
            "compression job for " + j.profile() + " failed: " + why, j.createdUnixMs()));
      }
    }
  }
}
