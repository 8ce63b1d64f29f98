package fwi.edge.input;

import fwi.edge.inference.BusyException;
import fwi.edge.inference.InferenceService;
import fwi.edge.inference.InputRejectedException;
import fwi.edge.inference.NoModelException;
import fwi.runtime.ort.InferenceException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Starts the configured sources: the watched directory and the synthetic source, each on its own
 * thread so a slow one never delays the other (and never the HTTP threads).
 */
@ApplicationScoped
public class InputSources {
  private static final Logger LOG = Logger.getLogger(InputSources.class);

  private final InputConfig config;
  private final InferenceService service;
  private final AtomicLong syntheticCount = new AtomicLong();
  private ScheduledExecutorService watcher;
  private ScheduledExecutorService synthetic;

  InputSources(InputConfig config, InferenceService service) {
    this.config = config;
    this.service = service;
    if (config.watchPollMs() < 10) {
      throw new IllegalArgumentException("fwi.input.watch-poll-ms must be at least 10, but was " + config.watchPollMs());
    }
    if (config.syntheticIntervalMs() < 0) {
      throw new IllegalArgumentException("fwi.input.synthetic-interval-ms must be 0 (off) or more, but was "
          + config.syntheticIntervalMs());
    }
  }

  void start(@Observes StartupEvent e) throws IOException {
    if (config.watchDir().isPresent()) {
      WatchedDirectory dir = new WatchedDirectory(config.watchDir().get(), service.inference());
      watcher = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fwi-watch-dir"));
      watcher.scheduleWithFixedDelay(() -> {
        try {
          dir.scan();
        } catch (IOException | RuntimeException ex) {
          LOG.errorf(ex, "scanning %s failed; retrying", config.watchDir().get());
        }
      }, 0, config.watchPollMs(), TimeUnit.MILLISECONDS);
      LOG.infof("watching %s for .npy and SEG-Y shot files", config.watchDir().get());
    }
    if (config.syntheticIntervalMs() > 0) {
      SyntheticGathers gen = new SyntheticGathers(config.syntheticSeed());
      synthetic = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fwi-synthetic"));
      synthetic.scheduleAtFixedRate(() -> runSynthetic(gen), config.syntheticIntervalMs(), config.syntheticIntervalMs(),
          TimeUnit.MILLISECONDS);
      LOG.infof("synthetic source: one layered-earth gather every %d ms", config.syntheticIntervalMs());
    }
  }

  private void runSynthetic(SyntheticGathers gen) {
    SyntheticGathers.Sample s = gen.next();
    long t0 = System.nanoTime();
    try {
      service.inference().infer("synthetic-" + syntheticCount.incrementAndGet(), s.gathers(), t0,
          System.currentTimeMillis());
    } catch (NoModelException | BusyException e) {
      LOG.debugf("synthetic input skipped: %s", e.getMessage());
    } catch (InputRejectedException | InferenceException | RuntimeException e) {
      LOG.warnf("synthetic input failed: %s", e.getMessage());
    }
  }

  void stop(@Observes ShutdownEvent e) {
    for (ScheduledExecutorService s : new ScheduledExecutorService[] {watcher, synthetic}) {
      if (s != null) {
        s.shutdownNow();
      }
    }
  }
}
