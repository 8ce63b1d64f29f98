package fwi.cloud.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the {@code pruner} subcommands: output goes to the command line's configured writer
 * (standard output unless a caller, such as a test, sets another), never straight to {@code System.out}.
 */
abstract class CliCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** A JSON mapper that indents, for the {@code --json} outputs. */
  static ObjectMapper json() {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }
}
