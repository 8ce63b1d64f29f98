package fwi.cloud.rollout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One staged rollout of a new model to a hardware profile, as a state machine driven by the fleet's
 * events and a clock; it returns {@link Action}s for the service to carry out (publish targeted or
 * profile-wide manifests, a signed rollback), so it holds no network code and tests replay it
 * exactly.
 *
 * <p>Stages take growing fractions of the profile's devices (in a fixed order, so a stage's devices
 * are a superset of the previous stage's). A stage is targeted with a device manifest listing its
 * devices; it passes its gate once every stage device has installed the model (or timed out as
 * unreachable), the observation time has passed and its telemetry on the new model shows enough
 * inferences, an error ratio within bounds and a p95 within the prediction's tolerance and the SLO.
 * A gate judges only what its stage saw: telemetry windows of the stage's devices on the new model that
 * end at or after the stage began (an earlier stage's evidence was judged by that stage's gate).
 * The last stage is published profile-wide.
 *
 * <p>Latency under load. Field devices slow down for reasons no model causes (heat throttling, other
 * work, a shared host); aborting then would roll the devices back to a slower model. So a stage also
 * keeps a control: the windows its profile's devices still report on the old model over the same time.
 * When the stage's p95 is above the limit, the rollout compares the control's p95 with the old model's
 * p95 on the profile when the rollout began (the baseline): if the control slowed down by a factor
 * {@code f > 1} and the stage's p95 is within {@code f} times the limit, the fleet is loaded, not the
 * model worse than expected, and the gate passes (saying so, with the figures). A stage with fewer
 * control inferences than the gate needs (the last one takes every device) uses the control of the
 * newest stage before it that had enough; without a baseline or any control the limit holds as it is.
 * Device clocks are assumed synchronised (NTP) to well within the observation time.
 *
 * <p>Too many update failures, or a failed gate, abort the rollout: devices that already run the new
 * model get a signed rollback to the previous one.
 * Operators may pause, resume and abort. Not thread-safe: one owner drives it.
 */
public final class Rollout {
  /** Overall state. */
  public enum State { RUNNING, PAUSED, COMPLETED, ABORTED }

  /** Where one device is. */
  public enum DeviceState { WAITING, TARGETED, INSTALLED, FAILED, UNREACHABLE, ROLLED_BACK }

  /** What the service must do now. */
  public sealed interface Action {
    /** Publish a device-targeted manifest of the new model listing exactly these devices. */
    record Target(List<String> devices) implements Action {
    }

    /** Publish the new model's manifest on the profile topic (every device of the profile). */
    record ProfileWide() implements Action {
    }

    /** Publish a signed rollback to the previous model for these devices, and withdraw the new one. */
    record Rollback(List<String> devices, String reason) implements Action {
    }
  }

  /** Status of one stage. */
  public record StageStatus(int index, double fraction, int devices, int installed, int failed, int unreachable,
      long inferences, double p95Ms, double errorRatio, long controlInferences, double controlP95Ms, String gate) {
  }

  /** Everything the API and dashboard show. */
  public record Status(String id, String profile, long fromVersion, long toVersion, State state, int stage,
      List<StageStatus> stages, Map<String, DeviceState> devices, String reason) {
  }

  /**
   * Everything a rollout is, so the service can store it and carry on after a restart
   * ({@link #snapshot()}, {@link #restore(Snapshot)}). Times are on the driver's clock (epoch ms).
   */
  public record Snapshot(String id, String profile, long fromVersion, long toVersion, double predictedP95Ms,
      double sloMs, RolloutSettings settings, List<String> order, State state, int stage, long stageStartMs,
      long settledAtMs, int otaFailures, String reason, List<String> gates, Map<String, DeviceSnapshot> devices,
      double baselineP95Ms, List<Tally> tallies) {
  }

  /**
   * One device's part of a {@link Snapshot}; {@code lastWindowEndMs} is the newest telemetry window counted on
   * the new model, {@code lastControlEndMs} the newest on the old one.
   */
  public record DeviceSnapshot(DeviceState state, long inferences, long errors, double p95WeightedMs,
      long lastWindowEndMs, long lastControlEndMs) {
  }

  /**
   * What one stage saw: its devices' windows on the new model, and the control's windows on the old
   * model, over the stage's time. p95s are summed weighted by inferences.
   */
  public record Tally(long inferences, long errors, double p95WeightedMs, long controlInferences,
      double controlP95WeightedMs) {
    static final Tally EMPTY = new Tally(0, 0, 0, 0, 0);

    Tally plus(long n, long e, double p95Ms) {
      return new Tally(inferences + n, errors + e, p95WeightedMs + n * p95Ms, controlInferences,
          controlP95WeightedMs);
    }

    Tally plusControl(long n, double p95Ms) {
      return new Tally(inferences, errors, p95WeightedMs, controlInferences + n, controlP95WeightedMs + n * p95Ms);
    }

    double p95Ms() {
      return inferences == 0 ? 0 : p95WeightedMs / inferences;
    }

    double controlP95Ms() {
      return controlInferences == 0 ? 0 : controlP95WeightedMs / controlInferences;
    }
  }

  private static final class Dev {
    final int rank; // index in the order: the device belongs to the stages whose size exceeds it
    DeviceState state = DeviceState.WAITING;
    long inferences;
    long errors;
    double p95WeightedMs;
    long lastWindowEndMs = Long.MIN_VALUE;
    long lastControlEndMs = Long.MIN_VALUE;

    Dev(int rank) {
      this.rank = rank;
    }
  }

  private final String id;
  private final String profile;
  private final long fromVersion;
  private final long toVersion;
  private final double predictedP95Ms;
  private final double sloMs;
  private final double baselineP95Ms;
  private final RolloutSettings settings;
  private final List<String> order;
  private final Map<String, Dev> devices = new LinkedHashMap<>();
  private final List<String> gates = new ArrayList<>();
  private final List<Tally> tallies = new ArrayList<>();
  private State state = State.RUNNING;
  private int stage = -1;
  private long stageStartMs;
  private long settledAtMs = -1;
  private int otaFailures;
  private String reason = "";

  /**
   * @param predictedP95Ms the p95 the new model is predicted to reach on the profile
   * @param sloMs the profile's p95 SLO
   * @param baselineP95Ms the old model's p95 on the profile as the rollout begins; 0 if unknown (then no stage
   *     gate can tell load from the model: see the class comment)
   * @param devicesInOrder the profile's devices, in the order stages take them (e.g. sorted by a hash of the id)
   * @throws IllegalArgumentException if there is no device
   */
  public Rollout(String id, String profile, long fromVersion, long toVersion, double predictedP95Ms, double sloMs,
      double baselineP95Ms, List<String> devicesInOrder, RolloutSettings settings) {
    if (devicesInOrder.isEmpty()) {
      throw new IllegalArgumentException("profile " + profile + " has no devices to roll model version " + toVersion
          + " out to");
    }
    this.id = id;
    this.profile = profile;
    this.fromVersion = fromVersion;
    this.toVersion = toVersion;
    this.predictedP95Ms = predictedP95Ms;
    this.sloMs = sloMs;
    this.baselineP95Ms = baselineP95Ms > 0 && Double.isFinite(baselineP95Ms) ? baselineP95Ms : 0;
    this.settings = settings;
    this.order = List.copyOf(devicesInOrder);
    for (String d : order) {
      devices.put(d, new Dev(devices.size()));
    }
    for (int i = 0; i < settings.stages().size(); i++) {
      gates.add("pending");
      tallies.add(Tally.EMPTY);
    }
  }

  private int stageSize(int s) {
    return Math.max(1, (int) Math.ceil(settings.stages().get(s) * order.size()));
  }

  /** Starts the first stage. */
  public List<Action> start(long nowMs) {
    return enterStage(0, nowMs);
  }

  private List<Action> enterStage(int s, long nowMs) {
    stage = s;
    stageStartMs = nowMs;
    settledAtMs = -1;
    gates.set(s, "installing");
    List<String> targets = order.subList(0, stageSize(s));
    for (String d : targets) {
      Dev v = devices.get(d);
      if (v.state == DeviceState.WAITING) {
        v.state = DeviceState.TARGETED;
      }
    }
    if (s == settings.stages().size() - 1) {
      return List.of(new Action.Target(List.copyOf(targets)), new Action.ProfileWide());
    }
    return List.of(new Action.Target(List.copyOf(targets)));
  }

  /** The rollout as it is now, to store. */
  public Snapshot snapshot() {
    Map<String, DeviceSnapshot> ds = new LinkedHashMap<>();
    devices.forEach((k, d) -> ds.put(k, new DeviceSnapshot(d.state, d.inferences, d.errors, d.p95WeightedMs,
        d.lastWindowEndMs, d.lastControlEndMs)));
    return new Snapshot(id, profile, fromVersion, toVersion, predictedP95Ms, sloMs, settings, order, state, stage,
        stageStartMs, settledAtMs, otaFailures, reason, List.copyOf(gates), ds, baselineP95Ms, List.copyOf(tallies));
  }

  /**
   * A rollout as it was stored.
   *
   * A snapshot stored before stages kept their own tallies (no {@code tallies}) restores with empty ones: the
   * current stage's gate then waits for fresh telemetry.
   *
   * @throws IllegalArgumentException if the snapshot is inconsistent (devices other than its order, a
   *     stage, gate or tally list that does not fit its settings)
   */
  public static Rollout restore(Snapshot s) {
    Rollout r = new Rollout(s.id(), s.profile(), s.fromVersion(), s.toVersion(), s.predictedP95Ms(), s.sloMs(),
        s.baselineP95Ms(), s.order(), s.settings());
    if (s.tallies() != null && s.tallies().size() != s.settings().stages().size()) {
      throw new IllegalArgumentException("rollout " + s.id() + ": " + s.tallies().size() + " stage tallies must fit its "
          + s.settings().stages().size() + " stages");
    }
    if (!s.devices().keySet().equals(r.devices.keySet())) {
      throw new IllegalArgumentException("rollout " + s.id() + ": stored devices " + s.devices().keySet()
          + " must be those of its order " + s.order());
    }
    if (s.gates().size() != s.settings().stages().size() || s.stage() < -1 || s.stage() >= s.gates().size()) {
      throw new IllegalArgumentException("rollout " + s.id() + ": stage " + s.stage() + " and " + s.gates().size()
          + " gates must fit its " + s.settings().stages().size() + " stages");
    }
    s.devices().forEach((k, v) -> {
      Dev d = r.devices.get(k);
      d.state = v.state();
      d.inferences = v.inferences();
      d.errors = v.errors();
      d.p95WeightedMs = v.p95WeightedMs();
      d.lastWindowEndMs = v.lastWindowEndMs();
      d.lastControlEndMs = v.lastControlEndMs() == 0 ? Long.MIN_VALUE : v.lastControlEndMs();
    });
    if (s.tallies() != null) {
      for (int i = 0; i < s.tallies().size(); i++) {
        r.tallies.set(i, s.tallies().get(i));
      }
    }
    r.state = s.state();
    r.stage = s.stage();
    r.stageStartMs = s.stageStartMs();
    r.settledAtMs = s.settledAtMs();
    r.otaFailures = s.otaFailures();
    r.reason = s.reason();
    for (int i = 0; i < s.gates().size(); i++) {
      r.gates.set(i, s.gates().get(i));
    }
    return r;
  }

  /**
   * What must be published again after a restart, because the service may have stopped before it
   * published it: a running or paused rollout's current stage (its targeted manifest, and the
   * profile-wide one in the last stage); an aborted one's rollback. Publishing them again is
   * harmless: manifests are retained, and devices ignore one they already acted on.
   */
  public List<Action> republish() {
    if (stage < 0) {
      return List.of();
    }
    return switch (state) {
      case RUNNING, PAUSED -> {
        List<Action> a = new ArrayList<>();
        a.add(new Action.Target(List.copyOf(order.subList(0, stageSize(stage)))));
        if (stage == settings.stages().size() - 1) {
          a.add(new Action.ProfileWide());
        }
        yield a;
      }
      case ABORTED -> {
        List<String> back = new ArrayList<>();
        devices.forEach((k, d) -> {
          if (d.state == DeviceState.ROLLED_BACK) {
            back.add(k);
          }
        });
        yield List.of(new Action.Rollback(back, reason));
      }
      case COMPLETED -> List.of();
    };
  }

  /**
   * A device reported the end of an update.
   *
   * @param version the version the update was for (OtaStatus.to_model.version)
   * @param ok true for ACTIVE, false for REJECTED, FAILED, ROLLED_BACK
   */
  public List<Action> onUpdateEnded(String deviceId, long version, boolean ok, String detail, long nowMs) {
    Dev d = devices.get(deviceId);
    if (d == null || version != toVersion || state == State.ABORTED || state == State.COMPLETED) {
      return List.of();
    }
    if (ok) {
      d.state = DeviceState.INSTALLED;
      return List.of();
    }
    if (d.state == DeviceState.FAILED) {
      return List.of(); // the same failure again (a replayed status) counts once
    }
    d.state = DeviceState.FAILED;
    otaFailures++;
    if (otaFailures > settings.maxOtaFailures()) {
      return abort("update failed on " + deviceId + ": " + detail, nowMs);
    }
    return List.of();
  }

  /**
   * A telemetry window of a device. Windows on the new model count for the device and, if the device
   * belongs to the current stage and the window ends at or after the stage began, for the stage;
   * windows on the old model that end in the current stage count for its control. Each window counts
   * once: one that does not end after the newest one counted for its model (a replay after a restart)
   * is ignored.
   */
  public void onTelemetry(String deviceId, long windowEndMs, long modelVersion, long inferences, long errors,
      double p95Ms) {
    Dev d = devices.get(deviceId);
    if (d == null) {
      return;
    }
    boolean inStage = stage >= 0 && windowEndMs >= stageStartMs;
    if (modelVersion == fromVersion && modelVersion != toVersion) {
      if (windowEndMs > d.lastControlEndMs) {
        d.lastControlEndMs = windowEndMs;
        if (inStage && inferences > 0 && Double.isFinite(p95Ms)) {
          tallies.set(stage, tallies.get(stage).plusControl(inferences, p95Ms));
        }
      }
      return;
    }
    if (modelVersion != toVersion || windowEndMs <= d.lastWindowEndMs) {
      return;
    }
    d.lastWindowEndMs = windowEndMs;
    d.inferences += inferences;
    d.errors += errors;
    d.p95WeightedMs += inferences * p95Ms;
    if (inStage && d.rank < stageSize(stage)) {
      tallies.set(stage, tallies.get(stage).plus(inferences, errors, p95Ms));
    }
    if (d.state == DeviceState.TARGETED || d.state == DeviceState.UNREACHABLE) {
      d.state = DeviceState.INSTALLED; // it runs the model: the ACTIVE status was lost or is late
    }
  }

  /** Advances timeouts and gates. */
  public List<Action> tick(long nowMs) {
    if (state != State.RUNNING) {
      return List.of();
    }
    List<String> members = order.subList(0, stageSize(stage));
    boolean settled = true;
    for (String m : members) {
      Dev d = devices.get(m);
      if (d.state == DeviceState.TARGETED) {
        if (nowMs - stageStartMs >= settings.installTimeoutMs()) {
          d.state = DeviceState.UNREACHABLE;
        } else {
          settled = false;
        }
      }
    }
    if (!settled) {
      return List.of();
    }
    if (settledAtMs < 0) {
      settledAtMs = nowMs;
      gates.set(stage, "observing");
    }
    StageStatus s = stageStatus(stage);
    if (s.installed() == 0) {
      return abort("no device of stage " + (stage + 1) + " installed the model (" + s.unreachable()
          + " unreachable, " + s.failed() + " failed)", nowMs);
    }
    if (nowMs - settledAtMs < settings.observeMs() || s.inferences() < settings.minInferences()) {
      return List.of();
    }
    double limit = Math.min(sloMs, predictedP95Ms * (1 + settings.latencyTolerance()));
    if (s.errorRatio() > settings.maxErrorRatio()) {
      gates.set(stage, "failed");
      return abort(String.format("stage %d: error ratio %.3f above %.3f", stage + 1, s.errorRatio(),
          settings.maxErrorRatio()), nowMs);
    }
    if (s.p95Ms() > limit) {
      String over = String.format("p95 %.1f ms above %.1f ms (min of SLO %.1f ms and predicted %.1f ms + %.0f %%)",
          s.p95Ms(), limit, sloMs, predictedP95Ms, 100 * settings.latencyTolerance());
      int c = stage;
      while (c >= 0 && tallies.get(c).controlInferences() < settings.minInferences()) {
        c--; // a stage that took the last devices on the old model: the load its predecessor measured
      }
      if (c < 0 || baselineP95Ms <= 0) {
        gates.set(stage, "failed");
        return abort(String.format("stage %d: %s", stage + 1, over), nowMs);
      }
      double controlMs = tallies.get(c).controlP95Ms();
      double load = controlMs / baselineP95Ms;
      String control = String.format("devices still on version %d measured p95 %.1f ms %s, %.2fx their %.1f ms when "
          + "the rollout began", fromVersion, controlMs, c == stage ? "meanwhile" : "during stage " + (c + 1), load,
          baselineP95Ms);
      if (load <= 1 || s.p95Ms() > limit * load) {
        gates.set(stage, "failed");
        return abort(String.format("stage %d: %s; %s, which does not explain it", stage + 1, over, control), nowMs);
      }
      return pass(String.format("passed under load: %s, but %s: limit scaled to %.1f ms; errors %.3f", over, control,
          limit * load, s.errorRatio()), nowMs);
    }
    return pass(String.format("passed: p95 %.1f ms <= %.1f ms, errors %.3f", s.p95Ms(), limit, s.errorRatio()), nowMs);
  }

  private List<Action> pass(String gate, long nowMs) {
    gates.set(stage, gate);
    if (stage == settings.stages().size() - 1) {
      state = State.COMPLETED;
      reason = "every stage passed";
      return List.of();
    }
    return enterStage(stage + 1, nowMs);
  }

  /** Operator: hold the rollout where it is (no new stage starts; devices keep what they have). */
  public void pause(String why) {
    if (state == State.RUNNING) {
      state = State.PAUSED;
      reason = "paused: " + why;
    }
  }

  /** Operator: continue a paused rollout. */
  public void resume() {
    if (state == State.PAUSED) {
      state = State.RUNNING;
      reason = "";
    }
  }

  /** Stops the rollout and rolls back every device that installed the new model. */
  public List<Action> abort(String why, long nowMs) {
    if (state == State.ABORTED || state == State.COMPLETED) {
      return List.of();
    }
    state = State.ABORTED;
    reason = why;
    List<String> back = new ArrayList<>();
    devices.forEach((k, d) -> {
      if (d.state == DeviceState.INSTALLED) {
        d.state = DeviceState.ROLLED_BACK;
        back.add(k);
      }
    });
    return List.of(new Action.Rollback(back, why));
  }

  private StageStatus stageStatus(int s) {
    int installed = 0;
    int failed = 0;
    int unreachable = 0;
    int size = stageSize(s);
    for (String m : order.subList(0, size)) {
      Dev d = devices.get(m);
      switch (d.state) {
        case INSTALLED, ROLLED_BACK -> installed++;
        case FAILED -> failed++;
        case UNREACHABLE -> unreachable++;
        default -> {
        }
      }
    }
    Tally t = tallies.get(s);
    long n = t.inferences();
    return new StageStatus(s + 1, settings.stages().get(s), size, installed, failed, unreachable, n, t.p95Ms(),
        n + t.errors() == 0 ? 0 : t.errors() / (double) (n + t.errors()), t.controlInferences(), t.controlP95Ms(),
        gates.get(s));
  }

  public Status status() {
    List<StageStatus> st = new ArrayList<>();
    for (int s = 0; s < settings.stages().size(); s++) {
      st.add(stageStatus(s));
    }
    Map<String, DeviceState> ds = new LinkedHashMap<>();
    devices.forEach((k, v) -> ds.put(k, v.state));
    return new Status(id, profile, fromVersion, toVersion, state, stage + 1, st, ds, reason);
  }

  public State state() {
    return state;
  }

  public Optional<String> reason() {
    return reason.isEmpty() ? Optional.empty() : Optional.of(reason);
  }
}
