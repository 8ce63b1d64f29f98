package fwi.cloud.web;

import fwi.cloud.service.CloudService;
import fwi.cloud.service.FleetResource;
import fwi.cloud.service.FleetService;
import fwi.runtime.image.SeismicPictures;
import fwi.runtime.image.VelocityMapStyle;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The operator dashboard's moving parts, started with the fleet service ({@link FleetService.Started},
 * so only by {@code pruner serve}) and stopped before it: the {@link ResultsFeed} of velocity maps, the
 * {@link LatencyHistory} and the {@link SnapshotHub} behind the live stream. The page itself is static
 * ({@code META-INF/resources/index.html}); {@link DashboardResource} serves the data.
 */
@ApplicationScoped
public class Dashboard {
  private static final Logger LOG = Logger.getLogger(Dashboard.class);

  /** The parts of a running dashboard. */
  record Running(ResultsFeed results, LatencyHistory history, SnapshotHub hub) {
  }

  private final DashboardConfig config;
  private final FleetResource api;
  private volatile Running running;

  Dashboard(DashboardConfig config, FleetResource api) {
    this.config = config;
    this.api = api;
  }

  /**
   * Starts the parts for {@code e}'s service.
   *
   * @throws IllegalArgumentException for a bad {@code fwi.dashboard.*} setting, naming it
   */
  synchronized void start(@Observes FleetService.Started e) {
    if (running != null) {
      return;
    }
    config.check();
    CloudService cloud = e.cloud();
    VelocityMapStyle colours = new VelocityMapStyle(config.velocityMinMPerS(), config.velocityMaxMPerS(),
        SeismicPictures.DEFAULT_CELL_METRES);
    ResultsFeed results = new ResultsFeed(cloud.settings().kafkaBootstrap(), config.resultsLookbackRecords(), colours);
    LatencyHistory history = new LatencyHistory(config.historyMs(), config.historySampleMs());
    SnapshotHub hub = new SnapshotHub(cloud, api, results, history, config);
    results.start();
    hub.start();
    running = new Running(results, history, hub);
    LOG.infof("dashboard: live snapshots every %d ms (changes within %d ms), %d min of latency history",
        config.snapshotIntervalMs(), config.changeCheckMs(), config.historyMs() / 60_000);
  }

  /** The running parts; empty unless the fleet service runs in this process. */
  Optional<Running> running() {
    return Optional.ofNullable(running);
  }

  /** Before the fleet service closes (its observer has the default, later priority). */
  synchronized void stop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent e) {
    Running r = running;
    running = null;
    if (r != null) {
      r.hub().close();
      r.results().close();
    }
  }
}
