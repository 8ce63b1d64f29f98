package fwi.cloud.fleet;

import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.Header;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SequenceSkip;
import fwi.proto.v1.Telemetry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The fleet as the Kafka topics tell it: a device registry (online or not, profile, model, last seen)
 * and per-profile latency statistics. Built by applying records in topic order; applying the same
 * topics again from the beginning rebuilds the same state, which is how a restarted service recovers.
 *
 * <p>Duplicates from at-least-once delivery (MQTT retries, bridge restarts) are dropped by
 * (device, stream, {@code header.sequence}): a record whose sequence is not above the highest seen for
 * its device and stream was applied before.
 *
 * <p>Skips: every Birth repeats the sequence ranges the device skipped at its recent unclean stops
 * ({@code Birth.skipped_sequences}); they are merged per device and message type (result, telemetry,
 * ota/status; ranges of other names or with {@code first > last} are ignored as implausible), at most
 * {@value #SKIPS_KEPT} disjoint ranges per type, the oldest (lowest) forgotten first, so a reader of
 * {@link DeviceView#skippedSequences()} can tell an announced skip from a lost message. Birth and Death pair by {@code session_seq}: the higher
 * wins, and on a tie the Death (that session ended). Thread-safe (synchronized).
 */
public final class FleetState {
  /** One telemetry window of one device, kept for the profile statistics. */
  public record Window(long endUnixMs, String deviceId, String modelSha256Hex, long modelVersion, long inferences,
      long p50Us, long p95Us, long errors) {
  }

  /** Latency of one profile over the recent windows, count-weighted over its devices. */
  public record ProfileLatency(String profile, int devices, long inferences, double p50Ms, double p95Ms,
      double errorRatio, Map<String, Double> p95MsByModel) {
  }

  /** What a telemetry record tells about a profile's latency, for its fitted latency model. */
  public interface TelemetryListener {
    void onWindow(String profile, Window window);
  }

  /** Disjoint skipped ranges kept per device and message type. */
  static final int SKIPS_KEPT = 64;
  /** The message types a device may announce skips of: its buffered streams. */
  private static final java.util.Set<String> SKIPPABLE = java.util.Set.of("result", "telemetry", "ota/status");

  private final long windowRetentionMs;
  private final Map<String, Mutable> devices = new TreeMap<>();
  private final Map<String, Long> highest = new HashMap<>();
  private final Map<String, Deque<Window>> windowsByDevice = new HashMap<>();
  private final List<TelemetryListener> listeners = new ArrayList<>();
  private final List<OtaListener> otaListeners = new ArrayList<>();
  private long duplicates;
  private long implausible;

  private static final class Mutable {
    String profile = "";
    String agentVersion = "";
    boolean online;
    long sessionSeq;
    long lastSeen;
    ModelRef model;
    String ota = "";
    long p95;
    /** Per message type: first -> last of each skipped range, disjoint and not adjacent. */
    final Map<String, TreeMap<Long, Long>> skips = new TreeMap<>();
  }

  /** @param windowRetentionMs how far back telemetry windows count for the profile statistics */
  public FleetState(long windowRetentionMs) {
    if (windowRetentionMs < 1) {
      throw new IllegalArgumentException("window retention must be at least 1 ms, but was " + windowRetentionMs);
    }
    this.windowRetentionMs = windowRetentionMs;
  }

  public synchronized void addListener(TelemetryListener l) {
    listeners.add(l);
  }

  /** Hears every OTA status that is not a duplicate (rollouts follow their devices' updates). */
  public interface OtaListener {
    void onOtaStatus(String deviceId, OtaStatus status);
  }

  public synchronized void addOtaListener(OtaListener l) {
    otaListeners.add(l);
  }

  private boolean fresh(String deviceId, String stream, Header h) {
    String key = deviceId + '\u0000' + stream;
    long last = highest.getOrDefault(key, 0L);
    if (h.getSequence() != 0 && h.getSequence() <= last) {
      duplicates++;
      return false;
    }
    highest.put(key, Math.max(last, h.getSequence()));
    return true;
  }

  /**
   * Applies one value of {@code fwi.device-events}.
   *
   * @return false if it was a duplicate and changed nothing
   */
  public synchronized boolean apply(DeviceEvent e) {
    String id = e.getDeviceId();
    Mutable d = devices.computeIfAbsent(id, k -> new Mutable());
    d.lastSeen = Math.max(d.lastSeen, e.getReceivedUnixMs());
    switch (e.getEventCase()) {
      case BIRTH -> {
        Birth b = e.getBirth();
        if (!fresh(id, "birth", b.getHeader())) {
          return false;
        }
        // Facts about the past, true whatever session the Birth belongs to.
        for (SequenceSkip k : b.getSkippedSequencesList()) {
          addSkip(d, k);
        }
        if (b.getSessionSeq() > d.sessionSeq) {
          d.sessionSeq = b.getSessionSeq();
          d.online = true;
        } else if (b.getSessionSeq() < d.sessionSeq || !d.online) {
          return true; // an older session's Birth, or one whose Death already arrived: stale facts
        }
        boolean firstProfile = d.profile.isEmpty();
        d.profile = b.getProfileName();
        if (firstProfile) {
          for (Window w : windowsByDevice.getOrDefault(id, new ArrayDeque<>())) {
            for (TelemetryListener l : listeners) {
              l.onWindow(d.profile, w);
            }
          }
        }
        d.agentVersion = b.getAgentVersion();
        d.model = b.hasRunningModel() ? b.getRunningModel() : null;
      }
      case DEATH -> {
        Death x = e.getDeath();
        if (!fresh(id, "death", x.getHeader())) {
          return false;
        }
        if (x.getSessionSeq() >= d.sessionSeq) {
          d.sessionSeq = x.getSessionSeq();
          d.online = false;
        }
      }
      case OTA_STATUS -> {
        OtaStatus s = e.getOtaStatus();
        if (!fresh(id, "ota/status", s.getHeader())) {
          return false;
        }
        d.ota = s.getState().name().replace("OTA_STATE_", "");
        for (OtaListener l : otaListeners) {
          l.onOtaStatus(id, s);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  /**
   * Applies one value of {@code fwi.telemetry} from {@code deviceId} (the Kafka key).
   *
   * @return false if it was a duplicate
   */
  public synchronized boolean apply(String deviceId, Telemetry t, long receivedUnixMs) {
    if (!fresh(deviceId, "telemetry", t.getHeader())) {
      return false;
    }
    Mutable d = devices.computeIfAbsent(deviceId, k -> new Mutable());
    d.lastSeen = Math.max(d.lastSeen, receivedUnixMs);
    if (t.hasModel()) {
      d.model = t.getModel();
    }
    // Counts and latencies are uint64 on the wire; values of 2^63 and above (negative here) come only
    // from a broken or hostile device and would turn the profile statistics into nonsense (an error
    // ratio of -Infinity passes every rollout gate), so such a window counts as seen but not measured.
    boolean plausible = t.getInferenceCount() >= 0 && t.getInferenceErrorCount() >= 0 && t.getLatencyP50Us() >= 0
        && t.getLatencyP95Us() >= 0;
    if (!plausible) {
      implausible++;
      return true;
    }
    if (t.getInferenceCount() > 0) {
      d.p95 = t.getLatencyP95Us();
    }
    if (t.getInferenceCount() == 0 || !t.hasModel()) {
      return true;
    }
    Window w = new Window(t.getWindowStartUnixMs() + t.getWindowLengthMs(), deviceId,
        HexFormat.of().formatHex(t.getModel().getSha256().toByteArray()), t.getModel().getVersion(),
        t.getInferenceCount(), t.getLatencyP50Us(), t.getLatencyP95Us(), t.getInferenceErrorCount());
    Deque<Window> q = windowsByDevice.computeIfAbsent(deviceId, k -> new ArrayDeque<>());
    q.addLast(w);
    expire(q, w.endUnixMs());
    // Telemetry and device events are different topics: a window may be read before the Birth that
    // names the device's profile. Such windows reach the listeners when the Birth arrives.
    if (!d.profile.isEmpty()) {
      for (TelemetryListener l : listeners) {
        l.onWindow(d.profile, w);
      }
    }
    return true;
  }

  private void addSkip(Mutable d, SequenceSkip k) {
    long first = k.getFirstSeq();
    long last = k.getLastSeq();
    if (!SKIPPABLE.contains(k.getMessageType()) || first < 1 || last < first) {
      implausible++;
      return;
    }
    TreeMap<Long, Long> ranges = d.skips.computeIfAbsent(k.getMessageType(), t -> new TreeMap<>());
    // Merge with every range it overlaps or touches.
    Map.Entry<Long, Long> below = ranges.floorEntry(first);
    if (below != null && below.getValue() >= first - 1) {
      first = below.getKey();
      last = Math.max(last, below.getValue());
    }
    for (Map.Entry<Long, Long> e = ranges.ceilingEntry(first); e != null && e.getKey() <= last + 1;
        e = ranges.ceilingEntry(first)) {
      last = Math.max(last, e.getValue());
      ranges.remove(e.getKey());
    }
    ranges.put(first, last);
    while (ranges.size() > SKIPS_KEPT) {
      ranges.pollFirstEntry();
    }
  }

  private void expire(Deque<Window> q, long now) {
    while (!q.isEmpty() && q.peekFirst().endUnixMs() < now - windowRetentionMs) {
      q.removeFirst();
    }
  }

  /** Marks devices not heard from since {@code cutoffUnixMs} as offline (a lost will, a dead broker). */
  public synchronized void expireSilent(long cutoffUnixMs) {
    for (Mutable d : devices.values()) {
      if (d.online && d.lastSeen < cutoffUnixMs) {
        d.online = false;
      }
    }
  }

  public synchronized Collection<DeviceView> devices() {
    List<DeviceView> out = new ArrayList<>();
    devices.forEach((id, d) -> out.add(view(id, d)));
    return out;
  }

  public synchronized Optional<DeviceView> device(String id) {
    Mutable d = devices.get(id);
    return d == null ? Optional.empty() : Optional.of(view(id, d));
  }

  private static DeviceView view(String id, Mutable d) {
    Map<String, List<DeviceView.SequenceRange>> skips = new TreeMap<>();
    d.skips.forEach((type, ranges) -> skips.put(type, ranges.entrySet().stream()
        .map(e -> new DeviceView.SequenceRange(e.getKey(), e.getValue())).toList()));
    return new DeviceView(id, d.profile, d.agentVersion, d.online, d.sessionSeq, d.lastSeen,
        Optional.ofNullable(d.model), d.ota, d.p95, skips);
  }

  /**
   * Latency of {@code profile} over the windows ending within the retention before {@code nowUnixMs}:
   * inference-count-weighted means of the windows' p50 and p95 (a mean of percentiles, not a merged
   * percentile: telemetry carries no histogram).
   */
  public synchronized Optional<ProfileLatency> profileLatency(String profile, long nowUnixMs) {
    long n = 0;
    long errors = 0;
    double p50 = 0;
    double p95 = 0;
    int devs = 0;
    Map<String, double[]> byModel = new TreeMap<>();
    for (Map.Entry<String, Mutable> e : devices.entrySet()) {
      Deque<Window> q = windowsByDevice.get(e.getKey());
      if (!e.getValue().profile.equals(profile) || q == null) {
        continue;
      }
      expire(q, nowUnixMs);
      devs += q.isEmpty() ? 0 : 1;
      for (Window w : q) {
        n += w.inferences();
        errors += w.errors();
        p50 += w.inferences() * (double) w.p50Us();
        p95 += w.inferences() * (double) w.p95Us();
        double[] m = byModel.computeIfAbsent(w.modelSha256Hex(), k -> new double[2]);
        m[0] += w.inferences();
        m[1] += w.inferences() * (double) w.p95Us();
      }
    }
    if (n == 0) {
      return Optional.empty();
    }
    Map<String, Double> p95ByModel = new TreeMap<>();
    byModel.forEach((k, v) -> p95ByModel.put(k, v[1] / v[0] / 1000));
    return Optional.of(new ProfileLatency(profile, devs, n, p50 / n / 1000, p95 / n / 1000,
        errors / (double) (n + errors), p95ByModel));
  }

  /**
   * Telemetry records whose counts or latencies were 2^63 or more, kept out of the statistics, and
   * announced skips of an unknown message type or with {@code first > last}, ignored, so far.
   */
  public synchronized long implausible() {
    return implausible;
  }

  /** Records dropped as duplicates so far. */
  public synchronized long duplicates() {
    return duplicates;
  }
}
