package fwi.edge.input;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Optional;

/** Where shot gathers come from ({@code fwi.input.*}). {@code POST /infer} is always on. */
@ConfigMapping(prefix = "fwi.input")
public interface InputConfig {
  /**
   * Directory watched for {@code .npy} ({@code [5, 1000, 70]} or {@code [N, 5, 1000, 70]}) and SEG-Y
   * ({@code .sgy}/{@code .segy}) shot files; each is processed once and moved to {@code done/} or
   * {@code failed/} (with {@code <name>.reason.txt}) below it. Unset: no watched directory.
   */
  @WithName("watch-dir")
  Optional<Path> watchDir();

  /** How often the watched directory is scanned, ms. A file is taken once its size and time stop changing between two scans. */
  @WithName("watch-poll-ms")
  @WithDefault("1000")
  long watchPollMs();

  /** Period of the synthetic source (layered-earth gathers for demos), ms; 0 turns it off. */
  @WithName("synthetic-interval-ms")
  @WithDefault("0")
  long syntheticIntervalMs();

  /** Seed of the synthetic source, so a demo is reproducible. */
  @WithName("synthetic-seed")
  @WithDefault("1")
  long syntheticSeed();
}
