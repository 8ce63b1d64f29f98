package fwi.cloud.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * Runs a simulated fleet once: connects every device (each on its own MQTT connection, at most
 * {@value #CONNECTS_AT_ONCE} connects in flight, each device publishing its retained Birth right
 * after), lets them publish results and telemetry at the configured rates for the configured
 * duration, each on a random phase so the load is spread evenly, then stops them: waits for
 * outstanding PUBACKs, publishes each device's Death (SHUTDOWN) and disconnects. Results and
 * telemetry are paced by a few scheduler threads ({@code scheduleAtFixedRate}: a late tick is made up
 * at once, so the achieved rate shows a slow publisher rather than hiding it).
 *
 * <p>Each device costs a connection (a file descriptor here and in the broker) and Paho's threads
 * (three per client), so one simulator process is good for a few thousand devices; run several,
 * with distinct {@code --id-prefix}es, for more. Not thread-safe: one thread calls {@link #run}.
 */
public final class FleetSimulator {
  /** Connection attempts in flight at most, so starting thousands of devices is not a SYN flood. */
  static final int CONNECTS_AT_ONCE = 64;
  private static final long STOP_TIMEOUT_MS = 10_000;

  /** Progress of a run: the span since the previous report, and the whole run so far. */
  public record Progress(FleetSimReport interval, FleetSimReport total) {
  }

  private final FleetSimSettings settings;

  public FleetSimulator(FleetSimSettings settings) {
    this.settings = settings;
  }

  /**
   * Runs the fleet and returns what happened over the whole run (its span: from the first connect to
   * the last disconnect).
   *
   * @param every how often {@code progress} hears of the run (connecting included)
   * @throws IllegalArgumentException if Paho refuses the broker URL or a client id
   */
  public FleetSimReport run(Duration every, Consumer<Progress> progress) throws InterruptedException {
    int n = settings.devices().size();
    SimCounters counters = new SimCounters();
    ResultMaps maps = new ResultMaps(16, 42);
    List<SimulatedDevice> devices = new ArrayList<>(n);
    for (DeviceLogin login : settings.devices()) {
      try {
        devices.add(new SimulatedDevice(login, settings, counters, maps));
      } catch (MqttException | IllegalArgumentException e) {
        throw new IllegalArgumentException("cannot make an MQTT client for " + login.deviceId() + " at "
            + settings.brokerUrl() + ": " + SimulatedDevice.describe(e), e);
      }
    }
    Reporter reporter = new Reporter(counters, n, every, progress);
    List<SimulatedDevice> connected = new ArrayList<>();
    ScheduledThreadPoolExecutor clock = new ScheduledThreadPoolExecutor(
        Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())), daemon("fwi-fleet-sim-clock"));
    try {
      connectAll(devices, connected, reporter);
      Random phase = new Random(7);
      long resultPeriodNs = settings.resultsPerSecond() > 0 ? Math.round(1e9 / settings.resultsPerSecond()) : 0;
      long telemetryNs = settings.telemetryInterval().toNanos();
      for (SimulatedDevice d : connected) {
        if (resultPeriodNs > 0) {
          clock.scheduleAtFixedRate(d::publishResult, (long) (phase.nextDouble() * resultPeriodNs), resultPeriodNs,
              TimeUnit.NANOSECONDS);
        }
        clock.scheduleAtFixedRate(d::publishTelemetry, (long) (phase.nextDouble() * telemetryNs), telemetryNs,
            TimeUnit.NANOSECONDS);
      }
      long end = System.nanoTime() + settings.duration().toNanos();
      while (System.nanoTime() < end) {
        reporter.sleepUntilNext(end);
      }
    } finally {
      clock.shutdownNow();
      clock.awaitTermination(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      stopAll(devices);
    }
    return reporter.total();
  }

  private void connectAll(List<SimulatedDevice> devices, List<SimulatedDevice> connected, Reporter reporter)
      throws InterruptedException {
    Semaphore connecting = new Semaphore(CONNECTS_AT_ONCE);
    CountDownLatch done = new CountDownLatch(devices.size());
    List<SimulatedDevice> ok = Collections.synchronizedList(new ArrayList<>());
    for (SimulatedDevice d : devices) {
      while (!connecting.tryAcquire(10, TimeUnit.MILLISECONDS)) {
        reporter.maybeReport();
      }
      d.connect(success -> {
        if (success) {
          ok.add(d);
        }
        connecting.release();
        done.countDown();
      });
    }
    while (!done.await(10, TimeUnit.MILLISECONDS)) {
      reporter.maybeReport(); // Paho fails a connect after its 10 s timeout, so this ends
    }
    connected.addAll(ok);
  }

  private static void stopAll(List<SimulatedDevice> devices) throws InterruptedException {
    ExecutorService stoppers = Executors.newFixedThreadPool(Math.min(32, devices.size()), daemon("fwi-fleet-sim-stop"));
    for (SimulatedDevice d : devices) {
      stoppers.execute(() -> d.stop(STOP_TIMEOUT_MS));
    }
    stoppers.shutdown();
    stoppers.awaitTermination(STOP_TIMEOUT_MS * 3 + devices.size() * 10L, TimeUnit.MILLISECONDS);
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger i = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + i.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Hands progress to the caller every period, from the thread that runs the simulator. */
  private static final class Reporter {
    private final SimCounters counters;
    private final int devices;
    private final long periodNs;
    private final Consumer<Progress> progress;
    private final SimCounters.Snapshot start;
    private SimCounters.Snapshot last;
    private long next;

    Reporter(SimCounters counters, int devices, Duration every, Consumer<Progress> progress) {
      this.counters = counters;
      this.devices = devices;
      this.periodNs = Math.max(1_000_000, every.toNanos());
      this.progress = progress;
      long now = System.nanoTime();
      this.start = SimCounters.Snapshot.zero(now);
      this.last = start;
      this.next = now + periodNs;
    }

    void maybeReport() {
      if (System.nanoTime() >= next) {
        report();
      }
    }

    /** Sleeps until the next report is due (and makes it) or until {@code end}, whichever is first. */
    void sleepUntilNext(long end) throws InterruptedException {
      long wake = Math.min(next, end);
      long wait = wake - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait); // pacing of the reports, not a wait for a condition
      }
      maybeReport();
    }

    private void report() {
      SimCounters.Snapshot now = counters.snapshot(System.nanoTime());
      progress.accept(new Progress(now.since(last, devices), now.since(start, devices)));
      last = now;
      next += periodNs;
      if (next < System.nanoTime()) {
        next = System.nanoTime() + periodNs;
      }
    }

    FleetSimReport total() {
      return counters.snapshot(System.nanoTime()).since(start, devices);
    }
  }
}
