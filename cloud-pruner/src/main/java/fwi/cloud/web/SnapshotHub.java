package fwi.cloud.web;

import fwi.cloud.service.CloudService;
import fwi.cloud.service.FleetResource;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Builds the dashboard's {@link Snapshot}s from the running fleet service — whose state the Kafka
 * topics feed — and hands them to every open live stream: every {@code change-check-ms} it builds
 * one, and sends it when its {@link Snapshot.Signature} differs from the last one sent or
 * {@code snapshot-interval-ms} has passed. Every {@code history-sample-ms} it also records each
 * profile's latency in the {@link LatencyHistory}. Work is done once per interval whatever the number
 * of open pages.
 *
 * <p>One thread builds; {@link #latest()} and {@link #stream()} are thread-safe. A subscriber that
 * reads slowly gets the newest snapshot, never a backlog.
 */
final class SnapshotHub implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SnapshotHub.class);

  private final CloudService cloud;
  private final FleetResource api;
  private final ResultsFeed results;
  private final LatencyHistory history;
  private final DashboardConfig config;
  private final Alarms alarms;
  private final BroadcastProcessor<Snapshot> live = BroadcastProcessor.create();
  private final ScheduledExecutorService thread;
  private volatile Snapshot latest;
  private Snapshot.Signature lastSent;
  private long lastSentUnixMs;
  private long lastSampleUnixMs;
  private boolean failing;

  SnapshotHub(CloudService cloud, FleetResource api, ResultsFeed results, LatencyHistory history,
      DashboardConfig config) {
    this.cloud = cloud;
    this.api = api;
    this.results = results;
    this.history = history;
    this.config = config;
    this.alarms = new Alarms(config.bridgeWaitingAlarmMs());
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fwi-dashboard-snapshots");
      t.setDaemon(true);
      return t;
    });
  }

  void start() {
    thread.scheduleWithFixedDelay(this::check, 0, config.changeCheckMs(), TimeUnit.MILLISECONDS);
  }

  /** The newest snapshot; empty only until the first one is built. */
  Optional<Snapshot> latest() {
    return Optional.ofNullable(latest);
  }

  /** The newest snapshot at once, then every one sent, until the subscriber cancels or the hub closes. */
  Multi<Snapshot> stream() {
    return Multi.createBy().concatenating()
        .streams(Multi.createFrom().optional(this::latest), live)
        .onOverflow().dropPreviousItems();
  }

  private void check() {
    try {
      long now = System.currentTimeMillis();
      Snapshot s = build(now);
      latest = s;
      if (now - lastSampleUnixMs >= config.historySampleMs()) {
        lastSampleUnixMs = now;
        s.profiles().forEach(p -> p.recent().ifPresent(r -> history.add(p.spec().name(),
            new LatencyHistory.Point(now, r.p50Ms(), r.p95Ms(), p.sloMs()))));
      }
      Snapshot.Signature sig = s.signature();
      if (!sig.equals(lastSent) || now - lastSentUnixMs >= config.snapshotIntervalMs()) {
        lastSent = sig;
        lastSentUnixMs = now;
        live.onNext(s);
      }
      if (failing) {
        failing = false;
        LOG.info("dashboard snapshots are built again");
      }
    } catch (RuntimeException e) {
      if (!failing) { // once per outage, not every change-check-ms
        failing = true;
        LOG.errorf(e, "building the dashboard snapshot failed; retrying every %d ms", config.changeCheckMs());
      }
    }
  }

  private Snapshot build(long now) {
    var profiles = api.profiles();
    var devices = api.devices();
    var rollouts = api.rollouts();
    var jobs = api.jobs();
    var models = api.models();
    var service = api.bridge();
    var raised = alarms.of(new Alarms.Facts(now, profiles, devices, jobs, rollouts, cloud.bridgeStats(),
        cloud.caughtUp(), cloud.referenceProblem()));
    return new Snapshot(now, raised, profiles, devices, rollouts, jobs, models,
        results.mostRecent(config.gallerySize()), service);
  }

  /** Stops building and ends every open stream. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    live.onComplete();
  }
}
