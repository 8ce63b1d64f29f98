package fwi.cloud.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress line on standard error: {@code [#####-----] 120/500 samples  3.1 samples/s  412 M
 * cells/s  ETA 2m03s}. On a terminal it redraws one line; otherwise (logs, CI) it prints a line
 * every {@link #LOG_INTERVAL_NS} so logs stay short.
 */
final class ProgressBar {
  static final long LOG_INTERVAL_NS = 10_000_000_000L;
  private static final long REDRAW_INTERVAL_NS = 200_000_000L;

  private final PrintWriter err;
  private final boolean terminal;
  private final String unit;
  private long lastDraw = Long.MIN_VALUE;

  ProgressBar(PrintWriter err, boolean terminal, String unit) {
    this.err = err;
    this.terminal = terminal;
    this.unit = unit;
  }

  /** Called after each finished item; draws when due, and always on the last one. */
  void update(long done, long total, long cellUpdates, long elapsedNs) {
    update(done, total, cellUpdates, elapsedNs, "");
  }

  /** As {@link #update(long, long, long)} with a note (such as the current loss) after the rate. */
  void update(long done, long total, long elapsedNs, String note) {
    update(done, total, -1, elapsedNs, note);
  }

  private void update(long done, long total, long cellUpdates, long elapsedNs, String note) {
    long now = System.nanoTime();
    boolean last = done >= total;
    if (!last && lastDraw != Long.MIN_VALUE && now - lastDraw < (terminal ? REDRAW_INTERVAL_NS : LOG_INTERVAL_NS)) {
      return;
    }
    lastDraw = now;
    String line = format(done, total, cellUpdates, elapsedNs) + (note.isEmpty() ? "" : "  " + note);
    if (terminal) {
      err.print("\r" + line + (last ? "\n" : ""));
    } else {
      err.println(line);
    }
    err.flush();
  }

  /** As {@link #update(long, long, long, long)} for work that is not counted in cell updates. */
  void update(long done, long total, long elapsedNs) {
    update(done, total, -1, elapsedNs);
  }

  /** The progress line; a negative {@code cellUpdates} leaves out the cell rate. */
  String format(long done, long total, long cellUpdates, long elapsedNs) {
    int width = 24;
    int filled = total == 0 ? width : (int) (width * done / total);
    double s = Math.max(elapsedNs, 1) / 1e9;
    double rate = done / s;
    String eta = rate > 0 && done < total ? duration((total - done) / rate) : "0s";
    String cells = cellUpdates < 0 ? "" : String.format(Locale.ROOT, "  %.0f M cells/s", cellUpdates / s / 1e6);
    return String.format(Locale.ROOT, "[%s%s] %d/%d %s  %.2f %s/s%s  ETA %s",
        "#".repeat(filled), "-".repeat(width - filled), done, total, unit, rate, unit, cells, eta);
  }

  static String duration(double seconds) {
    long t = Math.round(seconds);
    if (t >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60);
    }
    return t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
  }
}
