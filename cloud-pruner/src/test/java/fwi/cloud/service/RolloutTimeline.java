package fwi.cloud.service;

import fwi.cloud.fleet.DeviceView;
import fwi.cloud.rollout.Rollout;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a benchmark saw of one rollout, as wall-clock times (ms since the epoch, this machine's
 * clock, which the agents share; -1: not seen): per stage, when the service targeted it, saw all
 * its devices installed and passed its gate; per device, when it entered each OTA state (its own
 * {@code state_entered_unix_ms}) and where its ACTIVE status was when — received by a subscriber
 * on the broker, by the bridge ({@code DeviceEvent.received_unix_ms}), read back from Kafka by a
 * consumer in the benchmark's JVM, and counted INSTALLED by the rollout — and when the fleet
 * state first showed it running the new version. Fed from one thread; not thread-safe.
 */
final class RolloutTimeline {
  /** One device's update. */
  static final class Device {
    final Map<OtaState, Long> entered = new EnumMap<>(OtaState.class);
    long activeOnBroker = -1;
    long activeAtBridge = -1;
    long activeFromKafka = -1;
    long installed = -1;
    long reported = -1;

    long at(OtaState s) {
      return entered.getOrDefault(s, -1L);
    }
  }

  /** One stage. */
  static final class Stage {
    long targeted = -1;
    long settled = -1;
    long passed = -1;
  }

  private final long version;
  private final long startMs;
  private final Map<String, Device> devices = new LinkedHashMap<>();
  private final List<Stage> stages = new ArrayList<>();
  private List<String> order = List.of();
  private List<Integer> stageSizes = List.of();
  private Map<String, Rollout.DeviceState> finalStates = Map.of();
  private long completed = -1;

  /**
   * @param version the version being rolled out; statuses of other versions and rollbacks are ignored
   * @param startMs when the upload began
   */
  RolloutTimeline(long version, long startMs) {
    this.version = version;
    this.startMs = startMs;
  }

  private Device device(String id) {
    return devices.computeIfAbsent(id, k -> new Device());
  }

  /** An OTA status a subscriber on the broker received at {@code nowMs}. */
  void otaStatus(String deviceId, OtaStatus s, long nowMs) {
    if (s.getToModel().getVersion() != version || s.getRollback()) {
      return;
    }
    Device d = device(deviceId);
    d.entered.merge(s.getState(), s.getStateEnteredUnixMs(), Math::min);
    if (s.getState() == OtaState.OTA_STATE_ACTIVE && d.activeOnBroker < 0) {
      d.activeOnBroker = nowMs;
    }
  }

  /** A record of {@code fwi.device-events} read at {@code nowMs}. */
  void deviceEvent(DeviceEvent e, long nowMs) {
    if (!e.hasOtaStatus()) {
      return;
    }
    OtaStatus s = e.getOtaStatus();
    if (s.getState() != OtaState.OTA_STATE_ACTIVE || s.getToModel().getVersion() != version || s.getRollback()) {
      return;
    }
    Device d = device(e.getDeviceId());
    if (d.activeFromKafka < 0) {
      d.activeAtBridge = e.getReceivedUnixMs();
      d.activeFromKafka = nowMs;
    }
  }

  /** The rollout's status polled at {@code nowMs}. */
  void rollout(Rollout.Status st, long nowMs) {
    if (stages.isEmpty()) {
      order = List.copyOf(st.devices().keySet());
      stageSizes = st.stages().stream().map(Rollout.StageStatus::devices).toList();
      for (int i = 0; i < st.stages().size(); i++) {
        stages.add(new Stage());
      }
    }
    for (Rollout.StageStatus s : st.stages()) {
      Stage t = stages.get(s.index() - 1);
      if (t.targeted < 0 && st.stage() >= s.index()) {
        t.targeted = nowMs;
      }
      if (t.settled < 0 && (s.gate().equals("observing") || s.gate().startsWith("passed"))) {
        t.settled = nowMs;
      }
      if (t.passed < 0 && s.gate().startsWith("passed")) {
        t.passed = nowMs;
      }
    }
    st.devices().forEach((id, state) -> {
      if (state == Rollout.DeviceState.INSTALLED && device(id).installed < 0) {
        device(id).installed = nowMs;
      }
    });
    if (completed < 0 && st.state() == Rollout.State.COMPLETED) {
      completed = nowMs;
    }
    finalStates = st.devices();
  }

  /** The fleet state polled at {@code nowMs}. */
  void fleet(Collection<DeviceView> views, long nowMs) {
    for (DeviceView v : views) {
      if (v.runningModel().map(m -> m.getVersion() == version).orElse(false) && device(v.deviceId()).reported < 0) {
        device(v.deviceId()).reported = nowMs;
      }
    }
  }

  long startMs() {
    return startMs;
  }

  long completedMs() {
    return completed;
  }

  /** When the fleet state showed the last of {@code n} devices on the new version; -1 before. */
  long allReportedMs(int n) {
    List<Long> r = devices.values().stream().map(d -> d.reported).filter(t -> t >= 0).toList();
    return r.size() < n ? -1 : r.stream().mapToLong(Long::longValue).max().orElse(-1);
  }

  List<Stage> stages() {
    return stages;
  }

  List<Integer> stageSizes() {
    return stageSizes;
  }

  /** Whether the bridge and the broker watcher have passed on the ACTIVE status of every device of the rollout. */
  boolean everyActiveSeen() {
    return order.stream().map(this::device).allMatch(d -> d.activeFromKafka >= 0 && d.activeOnBroker >= 0);
  }

  /** How many of the devices a stage added ended, in the last status polled, in {@code state}. */
  long count(int stage, Rollout.DeviceState state) {
    int from = stage == 0 ? 0 : stageSizes.get(stage - 1);
    return order.subList(from, stageSizes.get(stage)).stream().filter(d -> finalStates.get(d) == state).count();
  }

  /** The devices a stage added (in the rollout's order). */
  List<Device> newDevices(int stage) {
    int from = stage == 0 ? 0 : stageSizes.get(stage - 1);
    return order.subList(from, stageSizes.get(stage)).stream().map(this::device).toList();
  }
}
