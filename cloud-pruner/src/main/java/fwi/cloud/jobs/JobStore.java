package fwi.cloud.jobs;

import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.PruneJobState;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Compression jobs on disk: {@code <dir>/<jobId>.job} (the {@link PruneJob}) and {@code <jobId>.report}
 * (its latest {@link PruneJobReport}), each replaced atomically (temp file, fsync, rename). Opening the
 * store after a restart fails every job that was QUEUED or RUNNING, with a detail naming the phase it
 * was in: training state is not resumable across a service restart, and a job that silently stays
 * RUNNING forever is worse than one that says it must be started again. Thread-safe (synchronized).
 */
public final class JobStore {
  private static final Logger LOG = Logger.getLogger(JobStore.class);

  /** A job and its latest report. */
  public record Entry(PruneJob job, PruneJobReport report) {
  }

  private final Path dir;
  private final Map<String, Entry> entries = new TreeMap<>();

  private JobStore(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating) the store; jobs interrupted by a restart become FAILED. */
  public static JobStore open(Path dir) throws IOException {
    Files.createDirectories(dir);
    JobStore s = new JobStore(dir);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String n = p.getFileName().toString();
        if (n.endsWith(".tmp")) {
          Files.deleteIfExists(p);
        } else if (n.endsWith(".job")) {
          String id = n.substring(0, n.length() - 4);
          PruneJob job = PruneJob.parseFrom(Files.readAllBytes(p));
          Path r = dir.resolve(id + ".report");
          PruneJobReport report = Files.exists(r) ? PruneJobReport.parseFrom(Files.readAllBytes(r))
              : PruneJobReport.newBuilder().setJobId(id).setState(PruneJobState.PRUNE_JOB_STATE_QUEUED).build();
          s.entries.put(id, new Entry(job, report));
        }
      }
    }
    for (Entry e : List.copyOf(s.entries.values())) {
      PruneJobState st = e.report().getState();
      if (st == PruneJobState.PRUNE_JOB_STATE_QUEUED || st == PruneJobState.PRUNE_JOB_STATE_RUNNING) {
        PruneJobReport failed = e.report().toBuilder().setState(PruneJobState.PRUNE_JOB_STATE_FAILED)
            .setErrorDetail("the service restarted while the job was " + st.name().replace("PRUNE_JOB_STATE_", "")
                + " in phase " + e.report().getPhase().name().replace("PRUNE_PHASE_", "")
                + "; its training state is lost, start the job again")
            .build();
        s.update(failed);
        LOG.warnf("job %s of profile %s failed: %s", e.job().getJobId(), e.job().getProfile().getName(),
            failed.getErrorDetail());
      }
    }
    return s;
  }

  /** Records a new job (QUEUED). @throws IllegalArgumentException if the id exists */
  public synchronized void add(PruneJob job) throws IOException {
    if (entries.containsKey(job.getJobId())) {
      throw new IllegalArgumentException("job id " + job.getJobId() + " exists already");
    }
    write(dir.resolve(job.getJobId() + ".job"), job.toByteArray());
    PruneJobReport r = PruneJobReport.newBuilder().setJobId(job.getJobId())
        .setState(PruneJobState.PRUNE_JOB_STATE_QUEUED).build();
    write(dir.resolve(job.getJobId() + ".report"), r.toByteArray());
    entries.put(job.getJobId(), new Entry(job, r));
  }

  /** Replaces a job's report. @throws IllegalArgumentException for an unknown job */
  public synchronized void update(PruneJobReport report) throws IOException {
    Entry e = entries.get(report.getJobId());
    if (e == null) {
      throw new IllegalArgumentException("unknown job id " + report.getJobId());
    }
    write(dir.resolve(report.getJobId() + ".report"), report.toByteArray());
    entries.put(report.getJobId(), new Entry(e.job(), report));
  }

  public synchronized Optional<Entry> get(String jobId) {
    return Optional.ofNullable(entries.get(jobId));
  }

  public synchronized List<Entry> all() {
    return new ArrayList<>(entries.values());
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
