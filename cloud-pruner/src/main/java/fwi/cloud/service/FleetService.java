package fwi.cloud.service;

import fwi.cloud.fleet.FleetFeed;
import fwi.cloud.fleet.FleetState;
import fwi.cloud.jobs.JobRunner;
import fwi.cloud.jobs.JobStore;
import fwi.cloud.planner.Planner;
import fwi.cloud.planner.PlannerSettings;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.profile.ProfilesConfig;
import fwi.cloud.rollout.Rollout;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The fleet service's parts, started by {@code pruner serve} (never by the one-shot commands): fleet
 * state fed from Kafka, the profile catalog with its fitted latency models, the planner, compression
 * jobs and rollouts, driven by one clock. The REST resources read it; before {@link #start()} they
 * answer 503.
 */
@ApplicationScoped
public class FleetService {
  private static final Logger LOG = Logger.getLogger(FleetService.class);

  private final ServiceConfig config;
  private final ProfilesConfig profilesConfig;
  private volatile boolean started;
  private ProfileCatalog catalog;
  private FleetState fleet;
  private FleetFeed feed;
  private Planner planner;
  private JobStore jobStore;
  private JobRunner jobs;
  private final Map<String, Rollout> rollouts = new ConcurrentHashMap<>();
  private ScheduledExecutorService clock;

  FleetService(ServiceConfig config, ProfilesConfig profilesConfig) {
    this.config = config;
    this.profilesConfig = profilesConfig;
  }

  /** Starts every part; returns once they run. */
  public synchronized void start() throws IOException {
    if (started) {
      return;
    }
    catalog = ProfileCatalog.from(profilesConfig);
    fleet = new FleetState(config.telemetryRetentionMs());
    planner = new Planner(PlannerSettings.defaults());
    jobStore = JobStore.open(config.stateDir().resolve("jobs"));
    jobs = new JobRunner(jobStore, 1);
    feed = new FleetFeed(config.kafkaBootstrap(), fleet);
    feed.start();
    clock = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fwi-fleet-clock"));
    clock.scheduleWithFixedDelay(this::tick, config.tickMs(), config.tickMs(), TimeUnit.MILLISECONDS);
    started = true;
    LOG.infof("fleet service started: Kafka %s, MQTT %s, %d profiles, state in %s", config.kafkaBootstrap(),
        config.mqttBrokerUrl(), catalog.all().size(), config.stateDir());
  }

  private void tick() {
    try {
      long now = System.currentTimeMillis();
      fleet.expireSilent(now - config.offlineAfterMs());
      for (ProfileSpec p : catalog.all()) {
        planner.evaluate(p, fleet.profileLatency(p.name(), now), catalog.fit(p.name()).estimate(), now)
            .ifPresent(d -> LOG.infof("profile %s needs a new model: %s; target %.1f ms on the profile = %.1f ms "
                + "on the reference machine", d.profile(), d.reason(), d.targetProfileMs(), d.targetReferenceMs()));
      }
      for (Rollout r : rollouts.values()) {
        r.tick(now);
      }
    } catch (RuntimeException e) {
      LOG.errorf(e, "fleet clock tick failed");
    }
  }

  public boolean started() {
    return started;
  }

  public ServiceConfig config() {
    return config;
  }

  public ProfileCatalog catalog() {
    return catalog;
  }

  public FleetState fleet() {
    return fleet;
  }

  public Planner planner() {
    return planner;
  }

  public JobStore jobStore() {
    return jobStore;
  }

  public List<Rollout> rollouts() {
    return List.copyOf(rollouts.values());
  }

  public Optional<Rollout> rollout(String id) {
    return Optional.ofNullable(rollouts.get(id));
  }

  void stop(@Observes ShutdownEvent e) {
    if (clock != null) {
      clock.shutdownNow();
    }
    if (feed != null) {
      feed.close();
    }
    if (jobs != null) {
      jobs.close();
    }
  }
}
