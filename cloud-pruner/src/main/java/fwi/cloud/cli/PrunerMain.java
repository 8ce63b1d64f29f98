package fwi.cloud.cli;

import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Entry point of the cloud-pruner application: hands the arguments to the {@code pruner} command
 * line. Errors in user input print one line naming the bad value (no stack trace) and exit 2;
 * usage errors exit 2 too, as picocli does.
 */
@QuarkusMain
public class PrunerMain implements QuarkusApplication {
  @Override
  public int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line; tests drive it directly. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new PrunerCommand());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      if (e instanceof IllegalArgumentException || e instanceof java.io.IOException
          || e instanceof fwi.cloud.model.InvalidModelException || e instanceof fwi.runtime.ort.ModelLoadException) {
        err.println("error: " + e.getMessage());
        err.flush();
        return 2;
      }
      throw e;
    });
    return cl;
  }
}
