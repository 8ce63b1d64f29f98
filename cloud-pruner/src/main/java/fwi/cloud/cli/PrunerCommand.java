package fwi.cloud.cli;

import picocli.CommandLine.Command;

/**
 * Root of the {@code pruner} command line: model building, inspection, inference and benchmarks, the
 * fleet service ({@code serve}, {@code bridge}) and the load generator ({@code fleet-sim}).
 */
@Command(name = "pruner", mixinStandardHelpOptions = true, version = "fwi cloud-pruner 0.1.0",
    description = "Builds, inspects, runs, prunes and benchmarks InversionNet ONNX models; generates, inspects and renders datasets.",
    subcommands = {BuildCommand.class, DescribeCommand.class, InferCommand.class, RandomInputCommand.class,
        BenchCommand.class, DatasetCommand.class, GroupsCommand.class, PruneCommand.class, SweepCommand.class, ProfileCommand.class, LatencyTableCommand.class,
        TrainCommand.class, FinetuneCommand.class, CompressCommand.class, EvaluateCommand.class,
        TrainBenchCommand.class, ServeCommand.class, BridgeCommand.class, FleetSimCommand.class})
public final class PrunerCommand {
}
