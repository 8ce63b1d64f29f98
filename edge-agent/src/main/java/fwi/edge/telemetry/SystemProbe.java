package fwi.edge.telemetry;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads what the device reports about itself from Linux: resident memory ({@code /proc/self/status}),
 * available memory ({@code /proc/meminfo}), SoC temperature ({@code /sys/class/thermal}) and the
 * Raspberry Pi firmware's throttling flags. Anything the platform lacks reads as absent, never as an error.
 */
public final class SystemProbe {
  private static final Path THROTTLED = Path.of("/sys/devices/platform/soc/soc:firmware/get_throttled");

  private SystemProbe() {
  }

  /** Resident set size of this process, bytes (VmRSS). */
  public static Optional<Long> rssBytes() {
    return kbField(Path.of("/proc/self/status"), "VmRSS:");
  }

  /** Peak resident set size of this process, bytes (VmHWM). */
  public static Optional<Long> peakRssBytes() {
    return kbField(Path.of("/proc/self/status"), "VmHWM:");
  }

  /** MemAvailable, bytes. */
  public static Optional<Long> availableBytes() {
    return kbField(Path.of("/proc/meminfo"), "MemAvailable:");
  }

  /** MemTotal, bytes. */
  public static Optional<Long> totalBytes() {
    return kbField(Path.of("/proc/meminfo"), "MemTotal:");
  }

  public static MemoryUsage heap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
  }

  /** SoC temperature, milli-degrees Celsius (thermal zone 0). */
  public static Optional<Integer> temperatureMilliC() {
    try {
      return Optional.of(Integer.parseInt(Files.readString(Path.of("/sys/class/thermal/thermal_zone0/temp")).trim()));
    } catch (IOException | NumberFormatException | SecurityException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether the Pi firmware throttled since boot (bits 16-19 of get_throttled: under-voltage, frequency
   * capped, throttled, soft temperature limit occurred); false where the file does not exist.
   */
  public static boolean throttled() {
    try {
      int v = Integer.decode(Files.readString(THROTTLED).trim());
      return (v & 0xf000f) != 0;
    } catch (IOException | NumberFormatException | SecurityException e) {
      return false;
    }
  }

  /** CPU model as the kernel names it ("model name" or "Model" in /proc/cpuinfo). */
  public static String cpuDescription() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      for (String prefix : List.of("Model", "model name", "Hardware")) {
        for (String l : lines) {
          if (l.startsWith(prefix) && l.contains(":")) {
            return l.substring(l.indexOf(':') + 1).trim();
          }
        }
      }
    } catch (IOException | SecurityException e) {
      // fall through
    }
    return System.getProperty("os.arch");
  }

  /** PRETTY_NAME of /etc/os-release, else os.name + os.version. */
  public static String osDescription() {
    try {
      for (String l : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (l.startsWith("PRETTY_NAME=")) {
          return l.substring(12).replace("\"", "");
        }
      }
    } catch (IOException | SecurityException e) {
      // fall through
    }
    return System.getProperty("os.name") + " " + System.getProperty("os.version");
  }

  private static Optional<Long> kbField(Path file, String key) {
    try {
      for (String l : Files.readAllLines(file)) {
        if (l.startsWith(key)) {
          String[] parts = l.substring(key.length()).trim().split("\\s+");
          return Optional.of(Long.parseLong(parts[0]) * 1024);
        }
      }
    } catch (IOException | NumberFormatException | SecurityException e) {
      // fall through
    }
    return Optional.empty();
  }
}
