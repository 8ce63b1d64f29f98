package fwi.cloud.cli;

import fwi.cloud.service.FleetService;
import io.quarkus.arc.Arc;
import io.quarkus.runtime.Quarkus;
import java.util.concurrent.Callable;
import org.eclipse.microprofile.config.ConfigProvider;
import picocli.CommandLine.Command;

/**
 * {@code pruner serve}: runs the fleet service until stopped (Ctrl-C / SIGTERM). The HTTP server must
 * be enabled for it ({@code -Dquarkus.http.host-enabled=true}; {@code deploy/bin/pruner serve} does).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Runs the fleet service: fleet state from Kafka, profiles, planner, jobs, rollouts, REST API.")
final class ServeCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    boolean http = ConfigProvider.getConfig().getOptionalValue("quarkus.http.host-enabled", Boolean.class).orElse(true);
    if (!http) {
      throw new IllegalArgumentException("the HTTP server is off: run with -Dquarkus.http.host-enabled=true "
          + "(deploy/bin/pruner serve does)");
    }
    FleetService s = Arc.container().instance(FleetService.class).get();
    s.start();
    int port = ConfigProvider.getConfig().getOptionalValue("quarkus.http.port", Integer.class).orElse(8080);
    System.out.println("fleet service on http://127.0.0.1:" + port + "/api/profiles (Ctrl-C stops it)");
    Quarkus.waitForExit();
    return 0;
  }
}
