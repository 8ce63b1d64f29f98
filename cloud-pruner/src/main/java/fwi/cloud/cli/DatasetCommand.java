package fwi.cloud.cli;

import picocli.CommandLine.Command;

/** {@code pruner dataset}: make, inspect and picture OpenFWI-style datasets. */
@Command(name = "dataset", mixinStandardHelpOptions = true,
    description = "Generates OpenFWI-style datasets by acoustic finite differences, inspects dataset folders and renders "
        + "samples as PNG.",
    subcommands = {DatasetGenerateCommand.class, DatasetInspectCommand.class, DatasetRenderCommand.class,
        DatasetBenchCommand.class})
final class DatasetCommand {
}
